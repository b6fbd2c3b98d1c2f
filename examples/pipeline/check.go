package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

// check compares every table with the generator's account of the days so far, and that no
// personal column reached the warehouse.
func check(ctx context.Context, s *dataset.Session, l lake, want *truth) error {
	ok := true
	report := func(what string, got, exp int64) {
		match := got == exp
		ok = ok && match
		fmt.Printf("  %-40s %9d / %9d  %s\n", what, got, exp, verdict(match))
	}
	fmt.Println("checks (kindling / the generator's own count):")
	count := func(table string, filter *dataset.Expr) int64 {
		d := s.ReadParquet(l.path(table))
		if filter != nil {
			d = d.Filter(*filter)
		}
		n, err := d.Count(ctx)
		if err != nil {
			fmt.Printf("  %s: %v\n", table, err)
			ok = false
		}
		return n
	}
	report("ods/orders rows (every valid line, once)", count("ods/orders", nil), want.validOrders)
	report("fact/orders rows", count("fact/orders", nil), want.validOrders)
	report("dim/customer versions", count("dim/customer", nil), want.versions)
	current := dataset.Col("is_current")
	report("dim/customer current versions", count("dim/customer", &current), want.customers)

	got, err := martTotals(ctx, s, l)
	if err != nil {
		return err
	}
	var sumGot, sumWant float64
	var ordersGot, ordersWant int64
	same := len(got) == len(want.revenue)
	for k, w := range want.revenue {
		g := got[k]
		same = same && g.orders == w.orders && math.Abs(g.revenue-w.revenue) <= 1e-6*math.Max(1, w.revenue)
		sumWant, ordersWant = sumWant+w.revenue, ordersWant+w.orders
	}
	for _, g := range got {
		sumGot, ordersGot = sumGot+g.revenue, ordersGot+g.orders
	}
	ok = ok && same
	fmt.Printf("  %-40s %9d / %9d  %s\n", "mart/city_revenue (day, city) rows", len(got), len(want.revenue), verdict(same))
	fmt.Printf("  %-40s %9.0f / %9.0f  (orders %d / %d)\n", "  revenue, all days and cities", sumGot, sumWant, ordersGot, ordersWant)

	for _, t := range []string{"ods/orders", "ods/customers", "dim/customer", "fact/orders", "mart/city_revenue"} {
		schema, err := s.ReadParquet(l.path(t)).Schema()
		if err != nil {
			return err
		}
		for _, personal := range []string{"email", "name", "card"} {
			if len(schema.FieldIndices(personal)) > 0 {
				fmt.Printf("  %s holds the personal column %q\n", t, personal)
				ok = false
			}
		}
	}
	if !ok {
		return errMismatch
	}
	fmt.Println("  no personal column in ods, dim, fact or mart: ok")
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISMATCH"
}

func martTotals(ctx context.Context, s *dataset.Session, l lake) (map[dayCity]cityTotal, error) {
	recs, err := s.ReadParquet(l.path("mart/city_revenue")).
		Select(dataset.Col("day").Cast(arrow.BinaryTypes.String).As("day"), dataset.Col("city"), dataset.Col("revenue"), dataset.Col("orders")).
		Collect(ctx)
	if err != nil {
		return nil, err
	}
	out := map[dayCity]cityTotal{}
	for _, r := range recs {
		day, city := r.Column(0).(*array.String), r.Column(1).(*array.String)
		rev, n := r.Column(2).(*array.Float64), r.Column(3).(*array.Int64)
		for i := range int(r.NumRows()) {
			k := dayCity{strings.Clone(day.Value(i)), strings.Clone(city.Value(i))} // outlive r
			out[k] = cityTotal{revenue: rev.Value(i), orders: n.Value(i)}
		}
		r.Release()
	}
	return out, nil
}
