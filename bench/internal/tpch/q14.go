package tpch

import (
	"github.com/kindling-data/kindling/dataset"
)

func init() { DataFrame[14] = q14 }

// q14 is the promotion effect query.
func q14(t Tables) *dataset.Dataset {
	line := t.Lineitem.
		Filter(col("l_shipdate").Ge(date("1995-09-01")).And(col("l_shipdate").Lt(date("1995-10-01")))).
		SelectColumns("l_partkey", "l_extendedprice", "l_discount")
	// CASE WHEN p_type LIKE 'PROMO%' THEN revenue ELSE 0 END
	promo := dataset.When(dataset.Like(col("p_type"), "PROMO%"), discounted()).Otherwise(dec("0"))
	return line.
		Join(t.Part.SelectColumns("p_partkey", "p_type"), keys("l_partkey", "p_partkey"), inner).
		GroupBy().
		Agg(sumE(promo).As("promo"), sumE(discounted()).As("total")).
		Select(dec("100.00").Mul(col("promo")).Div(col("total")).As("promo_revenue"))
}
