package dataset_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// signups is a small dataset of sign-ups: an email (one NULL, two that differ only in
// case) and the SKU of the product bought, "market-item" ("EU-1042"), one of them
// malformed.
func signups(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "sku", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(
		[]string{"Ana@Example.com", "ana@example.com", "bo+news@shop.org", "cy@example.com", "dee@mail.net", ""},
		[]bool{true, true, true, true, true, false})
	b.Field(1).(*array.StringBuilder).AppendValues(
		[]string{"EU-1042", "EU-1042", "US-0077", "EU-2001", "AP-0311", "US-77"}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// day returns the date of January d, 2024, the month of the orders.
func day(d int) arrow.Date32 {
	return arrow.Date32FromTime(time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC))
}

// Aggregates.

func ExampleSum() {
	s := newSession()
	defer s.Close()
	// Daily revenue and units: NULLs are skipped, and an integer column sums to an exact int64.
	show(orders(s, 2).
		GroupBy("day").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Sum("qty").As("units")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+---------+-------+
	// |        day | revenue | units |
	// +------------+---------+-------+
	// | 2024-01-01 |   200.5 |     3 |
	// | 2024-01-02 |  352.25 |     8 |
	// | 2024-01-03 |  195.74 |     7 |
	// +------------+---------+-------+
	// (3 rows)
}

func ExampleCount() {
	s := newSession()
	defer s.Close()
	// Count counts rows, NULLs included: every order of a day counts, priced or not.
	show(orders(s, 2).
		GroupBy("day").
		Agg(dataset.Count().As("orders")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+--------+
	// |        day | orders |
	// +------------+--------+
	// | 2024-01-01 |      2 |
	// | 2024-01-02 |      3 |
	// | 2024-01-03 |      3 |
	// +------------+--------+
	// (3 rows)
}

func ExampleCountOf() {
	s := newSession()
	defer s.Close()
	// A data-quality check: CountOf skips NULLs, so Count - CountOf is the orders with
	// no amount.
	daily := orders(s, 2).
		GroupBy("day").
		Agg(dataset.Count().As("orders"), dataset.CountOf("amount").As("priced")).
		WithColumn("unpriced", dataset.Col("orders").Sub(dataset.Col("priced")))
	show(daily.OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+--------+--------+----------+
	// |        day | orders | priced | unpriced |
	// +------------+--------+--------+----------+
	// | 2024-01-01 |      2 |      2 |        0 |
	// | 2024-01-02 |      3 |      2 |        1 |
	// | 2024-01-03 |      3 |      3 |        0 |
	// +------------+--------+--------+----------+
	// (3 rows)
}

func ExampleCountDistinct() {
	s := newSession()
	defer s.Close()
	// How many regions ordered each day; the NULL region is not a distinct value.
	show(orders(s, 2).
		GroupBy("day").
		Agg(dataset.CountDistinct("region").As("regions"), dataset.Count().As("orders")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+---------+--------+
	// |        day | regions | orders |
	// +------------+---------+--------+
	// | 2024-01-01 |       2 |      2 |
	// | 2024-01-02 |       3 |      3 |
	// | 2024-01-03 |       2 |      3 |
	// +------------+---------+--------+
	// (3 rows)
}

func ExampleMean() {
	s := newSession()
	defer s.Close()
	// Average order value per region: NULL amounts are left out of the average, and a
	// region with no amount at all (north) averages to NULL, not 0.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Mean("amount").As("avg_amount"), dataset.Mean("qty").As("avg_qty")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 15.7500 1.0000
	// east 87.5800 3.0000
	// north (null) 5.0000
	// west 156.6667 1.5000
}

func ExampleMin() {
	s := newSession()
	defer s.Close()
	// Min works on dates too: each region's first order day, and its cheapest order.
	show(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Min("day").As("first_order"), dataset.Min("amount").As("cheapest")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// +--------+-------------+----------+
	// | region | first_order | cheapest |
	// +--------+-------------+----------+
	// |   null |  2024-01-03 |    15.75 |
	// |   east |  2024-01-01 |    42.25 |
	// |  north |  2024-01-02 |     null |
	// |   west |  2024-01-01 |       80 |
	// +--------+-------------+----------+
	// (4 rows)
}

func ExampleMax() {
	s := newSession()
	defer s.Close()
	// The largest order of each day, and the region that comes last alphabetically.
	show(orders(s, 2).
		GroupBy("day").
		Agg(dataset.Max("amount").As("largest"), dataset.Max("region").As("last_region")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+---------+-------------+
	// |        day | largest | last_region |
	// +------------+---------+-------------+
	// | 2024-01-01 |   120.5 |        west |
	// | 2024-01-02 |     310 |        west |
	// | 2024-01-03 |   99.99 |        west |
	// +------------+---------+-------------+
	// (3 rows)
}

func ExampleFirst() {
	s := newSession()
	defer s.Close()
	// Carry along a column that is the same on every row of a group without grouping
	// by it: First picks any non-NULL value, so use it where all values agree.
	withCode := orders(s, 2).WithColumn("code", dataset.Upper(dataset.Substring(dataset.Col("region"), 1, 1)))
	show(withCode.
		GroupBy("region").
		Agg(dataset.First("code").As("code"), dataset.Sum("qty").As("units")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// +--------+------+-------+
	// | region | code | units |
	// +--------+------+-------+
	// |   null | null |     1 |
	// |   east |    E |     9 |
	// |  north |    N |     5 |
	// |   west |    W |     3 |
	// +--------+------+-------+
	// (4 rows)
}

func ExampleAgg_As() {
	s := newSession()
	defer s.Close()
	// Without As an aggregate is named after its function and column; name it to refer
	// to it downstream.
	ds := orders(s, 1).GroupBy("region").Agg(dataset.Sum("amount"), dataset.Count(), dataset.Max("qty").As("max_qty"))
	schema, err := ds.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// region utf8
	// sum(amount) float64
	// count int64
	// max_qty int64
}

func ExampleGrouped_Agg() {
	s := newSession()
	defer s.Close()
	// With no key, Agg is a global aggregate: one row summing up the whole dataset.
	show(orders(s, 3).GroupBy().Agg(
		dataset.Count().As("orders"),
		dataset.Sum("amount").As("revenue"),
		dataset.Min("day").As("from"),
		dataset.Max("day").As("to"),
	))
	// Output:
	// +--------+---------+------------+------------+
	// | orders | revenue |       from |         to |
	// +--------+---------+------------+------------+
	// |      8 |  748.49 | 2024-01-01 | 2024-01-03 |
	// +--------+---------+------------+------------+
	// (1 row)
}

func ExampleGrouped_Agg_twoKeys() {
	s := newSession()
	defer s.Close()
	// Several keys group by their combination: units per region and day (NULL where the
	// only qty of a group is NULL).
	show(orders(s, 2).
		Filter(dataset.Col("region").IsNotNull()).
		GroupBy("region", "day").
		Agg(dataset.Sum("qty").As("units")).
		OrderBy(dataset.Asc("region"), dataset.Asc("day")))
	// Output:
	// +--------+------------+-------+
	// | region |        day | units |
	// +--------+------------+-------+
	// |   east | 2024-01-01 |     2 |
	// |   east | 2024-01-02 |     3 |
	// |   east | 2024-01-03 |     4 |
	// |  north | 2024-01-02 |     5 |
	// |   west | 2024-01-01 |     1 |
	// |   west | 2024-01-02 |  null |
	// |   west | 2024-01-03 |     2 |
	// +--------+------------+-------+
	// (7 rows)
}

func ExampleGrouped_Count() {
	s := newSession()
	defer s.Close()
	// The busiest regions first; ties broken by name so the order is stable.
	show(orders(s, 2).
		GroupBy("region").
		Count().
		OrderBy(dataset.Desc("count"), dataset.Asc("region")))
	// Output:
	// +--------+-------+
	// | region | count |
	// +--------+-------+
	// |   east |     3 |
	// |   west |     3 |
	// |   null |     1 |
	// |  north |     1 |
	// +--------+-------+
	// (4 rows)
}

// Arithmetic.

func ExampleExpr_Mul() {
	s := newSession()
	defer s.Close()
	// Line totals: an integer times a float is a float, and a NULL factor gives NULL.
	show(orders(s, 1).Select(
		dataset.Col("amount"), dataset.Col("qty"),
		dataset.Col("amount").Mul(dataset.Col("qty")).As("total"),
	).Limit(5))
	// Output:
	// +--------+------+--------+
	// | amount |  qty |  total |
	// +--------+------+--------+
	// |  120.5 |    2 |    241 |
	// |     80 |    1 |     80 |
	// |  42.25 |    3 | 126.75 |
	// |   null |    5 |   null |
	// |    310 | null |   null |
	// +--------+------+--------+
	// (5 rows)
}

func ExampleExpr_Div() {
	s := newSession()
	defer s.Close()
	// The share of large orders among the priced ones per region: Div of two integer
	// counts is a float64, and 0/0 (north has no priced order) is NULL, not an error.
	big := dataset.Col("amount").Gt(dataset.Lit(100))
	shares := orders(s, 2).
		GroupBy("region").
		Agg(dataset.CountIf(big).As("large"), dataset.CountOf("amount").As("priced")).
		WithColumn("share", dataset.Col("large").Div(dataset.Col("priced")))
	printSorted(shares.OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 0 1 0.0000
	// east 1 3 0.3333
	// north 0 0 (null)
	// west 1 3 0.3333
}

func ExampleExpr_Mod() {
	s := newSession()
	defer s.Close()
	// Pack items in boxes of three: IntDiv gives the full boxes, Mod the loose items.
	qty := dataset.Col("qty")
	show(orders(s, 1).Select(
		qty,
		qty.IntDiv(dataset.Lit(3)).As("boxes"),
		qty.Mod(dataset.Lit(3)).As("loose"),
	))
	// Output:
	// +------+-------+-------+
	// |  qty | boxes | loose |
	// +------+-------+-------+
	// |    2 |     0 |     2 |
	// |    1 |     0 |     1 |
	// |    3 |     1 |     0 |
	// |    5 |     1 |     2 |
	// | null |  null |  null |
	// |    1 |     0 |     1 |
	// |    4 |     1 |     1 |
	// |    2 |     0 |     2 |
	// +------+-------+-------+
	// (8 rows)
}

func ExampleExpr_Neg() {
	s := newSession()
	defer s.Close()
	// Cancel the west orders in a ledger: each reversing entry books the amount negated.
	refunds := orders(s, 1).
		Filter(dataset.Col("region").Eq(dataset.Lit("west"))).
		Select(dataset.Col("day"), dataset.Col("amount").Neg().As("entry"))
	show(refunds)
	// Output:
	// +------------+-------+
	// |        day | entry |
	// +------------+-------+
	// | 2024-01-01 |   -80 |
	// | 2024-01-02 |  -310 |
	// | 2024-01-03 |   -80 |
	// +------------+-------+
	// (3 rows)
}

// Comparisons.

func ExampleExpr_Eq() {
	s := newSession()
	defer s.Close()
	// Eq compares with NULL as unknown: region = NULL matches no row, not even the
	// order without a region (use IsNull for that).
	region := dataset.Col("region")
	for _, cond := range []dataset.Expr{region.Eq(dataset.Lit("east")), region.Eq(dataset.Lit(nil)), region.IsNull()} {
		n, err := orders(s, 1).Filter(cond).Count(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cond, n)
	}
	// Output:
	// (region = "east") 3
	// (region = NULL) 0
	// (region IS NULL) 1
}

func ExampleExpr_NotEq() {
	s := newSession()
	defer s.Close()
	// region != 'west' is NULL, not true, for the order without a region: it is dropped
	// unless kept explicitly.
	region := dataset.Col("region")
	notWest := region.NotEq(dataset.Lit("west"))
	for _, cond := range []dataset.Expr{notWest, notWest.Or(region.IsNull())} {
		n, err := orders(s, 1).Filter(cond).Count(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cond, n)
	}
	// Output:
	// (region != "west") 4
	// ((region != "west") OR (region IS NULL)) 5
}

func ExampleExpr_Lt() {
	s := newSession()
	defer s.Close()
	// Small orders, for a minimum-order-value review.
	show(orders(s, 2).Filter(dataset.Col("amount").Lt(dataset.Lit(50))))
	// Output:
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |   east | 2024-01-02 |  42.25 |   3 |
	// |   null | 2024-01-03 |  15.75 |   1 |
	// +--------+------------+--------+-----+
	// (2 rows)
}

func ExampleExpr_Le() {
	s := newSession()
	defer s.Close()
	// Dates compare with date literals: the orders up to and including January 2.
	n, err := orders(s, 2).Filter(dataset.Col("day").Le(dataset.Lit(day(2)))).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "orders until 2024-01-02")
	// Output:
	// 5 orders until 2024-01-02
}

func ExampleExpr_Gt() {
	s := newSession()
	defer s.Close()
	// A comparison is a boolean column too: flag the large orders (NULL where the
	// amount is unknown).
	show(orders(s, 1).Select(
		dataset.Col("region"), dataset.Col("amount"),
		dataset.Col("amount").Gt(dataset.Lit(100)).As("large"),
	).Limit(4))
	// Output:
	// +--------+--------+-------+
	// | region | amount | large |
	// +--------+--------+-------+
	// |   east |  120.5 |  true |
	// |   west |     80 | false |
	// |   east |  42.25 | false |
	// |  north |   null |  null |
	// +--------+--------+-------+
	// (4 rows)
}

func ExampleExpr_Ge() {
	s := newSession()
	defer s.Close()
	// Bulk orders (three items or more) per region.
	show(orders(s, 2).
		Filter(dataset.Col("qty").Ge(dataset.Lit(3))).
		GroupBy("region").
		Count().
		OrderBy(dataset.Asc("region")))
	// Output:
	// +--------+-------+
	// | region | count |
	// +--------+-------+
	// |   east |     2 |
	// |  north |     1 |
	// +--------+-------+
	// (2 rows)
}

// Logic and NULLs.

func ExampleExpr_And() {
	s := newSession()
	defer s.Close()
	// Three-valued logic: true AND NULL is NULL, so an order with an unknown amount or
	// qty is not flagged (and a Filter on the flag would drop it).
	amount, qty := dataset.Col("amount"), dataset.Col("qty")
	show(orders(s, 1).Select(amount, qty,
		amount.Gt(dataset.Lit(50)).And(qty.Ge(dataset.Lit(2))).As("priority")))
	// Output:
	// +--------+------+----------+
	// | amount |  qty | priority |
	// +--------+------+----------+
	// |  120.5 |    2 |     true |
	// |     80 |    1 |    false |
	// |  42.25 |    3 |    false |
	// |   null |    5 |     null |
	// |    310 | null |     null |
	// |  15.75 |    1 |    false |
	// |  99.99 |    4 |     true |
	// |     80 |    2 |     true |
	// +--------+------+----------+
	// (8 rows)
}

func ExampleExpr_Or() {
	s := newSession()
	defer s.Close()
	// Ship express when the order is large or has many items: true OR NULL is true,
	// so an unknown qty or amount does not hide a reason that holds.
	amount, qty := dataset.Col("amount"), dataset.Col("qty")
	show(orders(s, 1).Select(amount, qty,
		amount.Gt(dataset.Lit(100)).Or(qty.Ge(dataset.Lit(4))).As("express")))
	// Output:
	// +--------+------+---------+
	// | amount |  qty | express |
	// +--------+------+---------+
	// |  120.5 |    2 |    true |
	// |     80 |    1 |   false |
	// |  42.25 |    3 |   false |
	// |   null |    5 |    true |
	// |    310 | null |    true |
	// |  15.75 |    1 |   false |
	// |  99.99 |    4 |    true |
	// |     80 |    2 |   false |
	// +--------+------+---------+
	// (8 rows)
}

func ExampleExpr_Not() {
	s := newSession()
	defer s.Close()
	// Every region but east and west; NOT NULL is NULL, so the order without a region
	// is not kept.
	show(orders(s, 1).Filter(dataset.Col("region").IsIn("east", "west").Not()))
	// Output:
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |  north | 2024-01-02 |   null |   5 |
	// +--------+------------+--------+-----+
	// (1 row)
}

func ExampleExpr_IsNull() {
	s := newSession()
	defer s.Close()
	// Profile missing values: how many rows lack each column.
	show(orders(s, 2).GroupBy().Agg(
		dataset.CountIf(dataset.Col("region").IsNull()).As("no_region"),
		dataset.CountIf(dataset.Col("amount").IsNull()).As("no_amount"),
		dataset.CountIf(dataset.Col("qty").IsNull()).As("no_qty"),
	))
	// Output:
	// +-----------+-----------+--------+
	// | no_region | no_amount | no_qty |
	// +-----------+-----------+--------+
	// |         1 |         1 |      1 |
	// +-----------+-----------+--------+
	// (1 row)
}

func ExampleExpr_IsNotNull() {
	s := newSession()
	defer s.Close()
	// Keep the complete rows only, before a computation that needs every column.
	complete := orders(s, 2).Filter(dataset.Col("region").IsNotNull().
		And(dataset.Col("amount").IsNotNull()).
		And(dataset.Col("qty").IsNotNull()))
	show(complete)
	// Output:
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |   east | 2024-01-01 |  120.5 |   2 |
	// |   west | 2024-01-01 |     80 |   1 |
	// |   east | 2024-01-02 |  42.25 |   3 |
	// |   east | 2024-01-03 |  99.99 |   4 |
	// |   west | 2024-01-03 |     80 |   2 |
	// +--------+------------+--------+-----+
	// (5 rows)
}

func ExampleExpr_As() {
	s := newSession()
	defer s.Close()
	// An unnamed expression's column is named after the expression; As gives it a
	// name, and renames an expression already named.
	total := dataset.Col("amount").Mul(dataset.Col("qty"))
	schema, err := orders(s, 1).Select(total, total.As("total"), total.As("total").As("line_total")).Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name)
	}
	// Output:
	// (amount * qty)
	// total
	// line_total
}

func ExampleCaseExpr_Otherwise() {
	s := newSession()
	defer s.Close()
	// Bucket orders into tiers and count them. Without the first branch a NULL amount
	// would fall through to Otherwise and count as low.
	amount := dataset.Col("amount")
	tier := dataset.When(amount.IsNull(), dataset.Lit("unknown")).
		When(amount.Ge(dataset.Lit(100)), dataset.Lit("high")).
		When(amount.Ge(dataset.Lit(50)), dataset.Lit("mid")).
		Otherwise(dataset.Lit("low"))
	show(orders(s, 2).
		WithColumn("tier", tier).
		GroupBy("tier").
		Count().
		OrderBy(dataset.Asc("tier")))
	// Output:
	// +---------+-------+
	// |    tier | count |
	// +---------+-------+
	// |    high |     2 |
	// |     low |     2 |
	// |     mid |     3 |
	// | unknown |     1 |
	// +---------+-------+
	// (4 rows)
}

// Strings.

func ExampleLength() {
	s := newSession()
	defer s.Close()
	// Validate a fixed-width code: SKUs are seven characters ("EU-1042").
	sku := dataset.Col("sku")
	show(signups(s).
		Filter(dataset.Length(sku).NotEq(dataset.Lit(7))).
		Select(sku, dataset.Length(sku).As("len")))
	// Output:
	// +-------+-----+
	// |   sku | len |
	// +-------+-----+
	// | US-77 |   5 |
	// +-------+-----+
	// (1 row)
}

func ExampleLower() {
	s := newSession()
	defer s.Close()
	// Normalize emails before deduplicating: addresses differ only in case.
	show(signups(s).
		Select(dataset.Lower(dataset.Col("email")).As("email")).
		Filter(dataset.Col("email").IsNotNull()).
		Distinct().
		OrderBy(dataset.Asc("email")))
	// Output:
	// +------------------+
	// |            email |
	// +------------------+
	// |  ana@example.com |
	// | bo+news@shop.org |
	// |   cy@example.com |
	// |     dee@mail.net |
	// +------------------+
	// (4 rows)
}

func ExampleSubstring() {
	s := newSession()
	defer s.Close()
	// Split a code: the market is the first two characters, the item the last four (a
	// negative start counts from the end; the malformed US-77 gives S-77).
	sku := dataset.Col("sku")
	show(signups(s).Select(sku,
		dataset.Substring(sku, 1, 2).As("market"),
		dataset.Substring(sku, -4, 4).As("item")))
	// Output:
	// +---------+--------+------+
	// |     sku | market | item |
	// +---------+--------+------+
	// | EU-1042 |     EU | 1042 |
	// | EU-1042 |     EU | 1042 |
	// | US-0077 |     US | 0077 |
	// | EU-2001 |     EU | 2001 |
	// | AP-0311 |     AP | 0311 |
	// |   US-77 |     US | S-77 |
	// +---------+--------+------+
	// (6 rows)
}

func ExampleContains() {
	s := newSession()
	defer s.Close()
	// Find plus-addressed emails ("bo+news@…"), which often duplicate a real account.
	show(signups(s).
		Filter(dataset.Contains(dataset.Col("email"), "+")).
		SelectColumns("email"))
	// Output:
	// +------------------+
	// |            email |
	// +------------------+
	// | bo+news@shop.org |
	// +------------------+
	// (1 row)
}

func ExampleStartsWith() {
	s := newSession()
	defer s.Close()
	// Route by prefix: sales of the EU catalogue.
	show(signups(s).
		WithColumn("eu", dataset.StartsWith(dataset.Col("sku"), "EU-")).
		GroupBy("eu").
		Count().
		OrderBy(dataset.Asc("eu")))
	// Output:
	// +-------+-------+
	// |    eu | count |
	// +-------+-------+
	// | false |     3 |
	// |  true |     3 |
	// +-------+-------+
	// (2 rows)
}

func ExampleEndsWith() {
	s := newSession()
	defer s.Close()
	// Flag internal test accounts by domain. Matching is case-sensitive: lower-case
	// first, or "Ana@Example.com" slips through.
	email := dataset.Col("email")
	internal := dataset.EndsWith(dataset.Lower(email), "@example.com")
	show(signups(s).Select(email,
		dataset.EndsWith(email, "@example.com").As("as_written"),
		internal.As("internal")))
	// Output:
	// +------------------+------------+----------+
	// |            email | as_written | internal |
	// +------------------+------------+----------+
	// |  Ana@Example.com |      false |     true |
	// |  ana@example.com |       true |     true |
	// | bo+news@shop.org |      false |    false |
	// |   cy@example.com |       true |     true |
	// |     dee@mail.net |      false |    false |
	// |             null |       null |     null |
	// +------------------+------------+----------+
	// (6 rows)
}
