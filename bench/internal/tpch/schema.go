package tpch

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Names of the eight tables, in generation order.
var tableNames = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

var (
	i64   = arrow.PrimitiveTypes.Int64
	str   = arrow.BinaryTypes.String
	day   = arrow.FixedWidthTypes.Date32
	money = &arrow.Decimal128Type{Precision: 15, Scale: 2}
)

func fields(kv ...any) *arrow.Schema {
	fs := make([]arrow.Field, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, arrow.Field{Name: kv[i].(string), Type: kv[i+1].(arrow.DataType)})
	}
	return arrow.NewSchema(fs, nil)
}

// schemas are the tables' Arrow schemas (TPC-H's column names and types).
var schemas = map[string]*arrow.Schema{
	"region": fields("r_regionkey", i64, "r_name", str, "r_comment", str),
	"nation": fields("n_nationkey", i64, "n_name", str, "n_regionkey", i64, "n_comment", str),
	"supplier": fields("s_suppkey", i64, "s_name", str, "s_address", str, "s_nationkey", i64,
		"s_phone", str, "s_acctbal", money, "s_comment", str),
	"customer": fields("c_custkey", i64, "c_name", str, "c_address", str, "c_nationkey", i64,
		"c_phone", str, "c_acctbal", money, "c_mktsegment", str, "c_comment", str),
	"part": fields("p_partkey", i64, "p_name", str, "p_mfgr", str, "p_brand", str, "p_type", str,
		"p_size", i64, "p_container", str, "p_retailprice", money, "p_comment", str),
	"partsupp": fields("ps_partkey", i64, "ps_suppkey", i64, "ps_availqty", i64,
		"ps_supplycost", money, "ps_comment", str),
	"orders": fields("o_orderkey", i64, "o_custkey", i64, "o_orderstatus", str, "o_totalprice", money,
		"o_orderdate", day, "o_orderpriority", str, "o_clerk", str, "o_shippriority", i64, "o_comment", str),
	"lineitem": fields("l_orderkey", i64, "l_partkey", i64, "l_suppkey", i64, "l_linenumber", i64,
		"l_quantity", money, "l_extendedprice", money, "l_discount", money, "l_tax", money,
		"l_returnflag", str, "l_linestatus", str, "l_shipdate", day, "l_commitdate", day,
		"l_receiptdate", day, "l_shipinstruct", str, "l_shipmode", str, "l_comment", str),
}
