package dataset_test

import (
	"fmt"
	"log"
)

func ExampleSession_SQL() {
	s := newSession()
	defer s.Close()
	if err := orders(s, 2).CreateOrReplaceTempView("orders"); err != nil {
		log.Fatal(err)
	}
	// Revenue per region over the first two days, biggest first; the NULL region is
	// dropped by the WHERE clause, and the plan is the one of the equivalent Filter,
	// GroupBy(...).Agg and OrderBy calls.
	revenue, err := s.SQL(`
		SELECT region, sum(amount) AS revenue, count(*) AS orders
		FROM orders
		WHERE day < DATE '2024-01-03' AND region IS NOT NULL
		GROUP BY region
		ORDER BY revenue DESC NULLS LAST`)
	if err != nil {
		log.Fatal(err)
	}
	show(revenue)

	// Errors name the line and column, and what exists.
	_, err = s.SQL("SELECT regoin FROM orders")
	fmt.Println(err)
	// Output:
	// +--------+---------+--------+
	// | region | revenue | orders |
	// +--------+---------+--------+
	// |   west |     390 |      2 |
	// |   east |  162.75 |      2 |
	// |  north |    null |      1 |
	// +--------+---------+--------+
	// (3 rows)
	// sql: line 1:8: unknown column regoin (columns: orders.region, orders.day, orders.amount, orders.qty)
}

func ExampleDataset_CreateOrReplaceTempView() {
	s := newSession()
	defer s.Close()
	// Views name datasets for SQL; a join written with commas and a WHERE equality runs
	// as a hash join.
	if err := orders(s, 2).CreateOrReplaceTempView("orders"); err != nil {
		log.Fatal(err)
	}
	if err := managers(s).CreateOrReplaceTempView("managers"); err != nil {
		log.Fatal(err)
	}
	d, err := s.SQL(`SELECT o.region, m.manager, o.amount
		FROM orders o, managers m
		WHERE o.region = m.region AND o.amount > 80
		ORDER BY amount`)
	if err != nil {
		log.Fatal(err)
	}
	show(d)
	// Output:
	// +--------+---------+--------+
	// | region | manager | amount |
	// +--------+---------+--------+
	// |   east |    Ines |  99.99 |
	// |   east |    Ines |  120.5 |
	// |   west |      Wu |    310 |
	// +--------+---------+--------+
	// (3 rows)
}
