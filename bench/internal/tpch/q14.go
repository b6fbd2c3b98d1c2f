package tpch

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

func init() { DataFrame[14] = q14 }

// q14 is the promotion effect query.
func q14(t Tables) *dataset.Dataset {
	line := t.Lineitem.
		Filter(col("l_shipdate").Ge(date("1995-09-01")).And(col("l_shipdate").Lt(date("1995-10-01")))).
		SelectColumns("l_partkey", "l_extendedprice", "l_discount")
	// CASE WHEN p_type LIKE 'PROMO%' THEN revenue ELSE 0 END as revenue times a 0/1
	// decimal(1,0): If does not take decimal values yet.
	isPromo := dataset.If(dataset.Like(col("p_type"), "PROMO%"), lit(int64(1)), lit(int64(0))).
		Cast(&arrow.Decimal128Type{Precision: 1, Scale: 0})
	promo := discounted().Mul(isPromo)
	return line.
		Join(t.Part.SelectColumns("p_partkey", "p_type"), keys("l_partkey", "p_partkey"), inner).
		GroupBy().
		Agg(sumE(promo).As("promo"), sumE(discounted()).As("total")).
		Select(dec("100.00").Mul(col("promo")).Div(col("total")).As("promo_revenue"))
}
