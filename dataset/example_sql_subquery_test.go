package dataset_test

import (
	"fmt"
	"log"
)

func ExampleSession_SQL_subqueries() {
	s := newSession()
	defer s.Close()
	if err := orders(s, 2).CreateOrReplaceTempView("orders"); err != nil {
		log.Fatal(err)
	}
	// Orders above their region's average amount: a correlated scalar subquery, planned
	// as the average grouped by region, left-joined back on region (no per-row query).
	above, err := s.SQL(`
		SELECT region, day, amount FROM orders o
		WHERE amount > (SELECT avg(amount) FROM orders i WHERE i.region = o.region)
		ORDER BY region, day`)
	if err != nil {
		log.Fatal(err)
	}
	show(above)

	// Regions with an order of more than 3 items, by EXISTS: a left semi join.
	busy, err := s.SQL(`
		SELECT DISTINCT region FROM orders o
		WHERE EXISTS (SELECT * FROM orders i WHERE i.region = o.region AND i.qty > 3)
		ORDER BY region`)
	if err != nil {
		log.Fatal(err)
	}
	show(busy)

	// A scalar subquery must return one column.
	_, err = s.SQL("SELECT region FROM orders WHERE amount > (SELECT avg(amount), max(amount) FROM orders)")
	fmt.Println(err)
	// Output:
	// +--------+------------+--------+
	// | region |        day | amount |
	// +--------+------------+--------+
	// |   east | 2024-01-01 |  120.5 |
	// |   east | 2024-01-03 |  99.99 |
	// |   west | 2024-01-02 |    310 |
	// +--------+------------+--------+
	// (3 rows)
	// +--------+
	// | region |
	// +--------+
	// |   east |
	// |  north |
	// +--------+
	// (2 rows)
	// sql: line 1:42: a scalar subquery must return one column, it returns 2 (avg(amount), max(amount))
}
