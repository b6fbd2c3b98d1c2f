package plan

import "github.com/apache/arrow-go/v18/arrow"

// AggStateFields returns the columns that carry a partial aggregate's state across a
// shuffle, named after the aggregate's output name. argType is the type of the argument
// (ignored for count(*)). The states are:
//
//	sum            <name>        int64 for integer arguments, float64 for floating ones (NULL: no value yet)
//	sum, decimal   <name> decimal(min(38,p+10),s), <name>$count int64 (values summed; a
//	               NULL sum with a positive count has overflowed, and stays NULL)
//	count, count(*) <name>       int64
//	count distinct <name>        list<argType>: the distinct non-NULL values seen
//	mean           <name>$sum float64, <name>$count int64
//	mean, decimal  <name>$sum decimal(min(38,p+10),s), <name>$count int64 (as sum, decimal)
//	min, max, first <name>       argType (NULL: no value yet)
//	median         <name>        list<float64>: the non-NULL values seen (NULL: none)
//	stddev, variance <name>$count int64, <name>$mean float64, <name>$m2 float64 (the sum of
//	               squared deviations from the mean; merged with Chan et al.'s pairwise formula)
//	corr           <name>$count int64 (rows where both arguments are non-NULL), then float64
//	               <name>$mean_x, $mean_y, $m2_x, $m2_y and $c_xy (the co-moment)
//	top_k          <name>        list<argType>: at most K of the largest values seen (NULL: none)
//	collect_list, collect_set, sum distinct <name> list<argType>: the non-NULL values seen
//	               (collect_set and sum distinct: each distinct value once)
//	last           <name> argType (the last value kept; NULL: none, or a NULL last value),
//	               <name>$seen boolean (whether any row was seen)
//	any_value, bool_and, bool_or <name> argType (NULL: no value yet)
//	sum_counts     <name>        int64 (NULL: no count yet)
//
// The statistical aggregates' states are listed with statStateFields (agg_stats.go).
func AggStateFields(a AggExpr, argType arrow.DataType) []arrow.Field {
	if fs := statStateFields(a, argType); fs != nil {
		return fs
	}
	f64 := arrow.PrimitiveTypes.Float64
	switch a.Func {
	case AggMedian:
		return []arrow.Field{{Name: a.Name, Type: arrow.ListOf(f64), Nullable: true}}
	case AggTopK:
		return []arrow.Field{{Name: a.Name, Type: arrow.ListOf(argType), Nullable: true}}
	case AggStddev, AggVariance:
		return []arrow.Field{
			{Name: a.Name + "$count", Type: arrow.PrimitiveTypes.Int64},
			{Name: a.Name + "$mean", Type: f64, Nullable: true},
			{Name: a.Name + "$m2", Type: f64, Nullable: true},
		}
	case AggCorr:
		return []arrow.Field{
			{Name: a.Name + "$count", Type: arrow.PrimitiveTypes.Int64},
			{Name: a.Name + "$mean_x", Type: f64, Nullable: true},
			{Name: a.Name + "$mean_y", Type: f64, Nullable: true},
			{Name: a.Name + "$m2_x", Type: f64, Nullable: true},
			{Name: a.Name + "$m2_y", Type: f64, Nullable: true},
			{Name: a.Name + "$c_xy", Type: f64, Nullable: true},
		}
	case AggSum:
		if isAggDecimal(argType) {
			return []arrow.Field{
				{Name: a.Name, Type: SumType(argType), Nullable: true},
				{Name: a.Name + "$count", Type: arrow.PrimitiveTypes.Int64},
			}
		}
		return []arrow.Field{{Name: a.Name, Type: SumType(argType), Nullable: true}}
	case AggCount, AggCountAll:
		return []arrow.Field{{Name: a.Name, Type: arrow.PrimitiveTypes.Int64}}
	case AggCountDistinct, AggCollectList, AggCollectSet, AggSumDistinct:
		return []arrow.Field{{Name: a.Name, Type: arrow.ListOf(argType)}}
	case AggLast:
		return []arrow.Field{
			{Name: a.Name, Type: argType, Nullable: true},
			{Name: a.Name + "$seen", Type: arrow.FixedWidthTypes.Boolean},
		}
	case AggMean:
		sumType := arrow.DataType(arrow.PrimitiveTypes.Float64)
		if isAggDecimal(argType) {
			sumType = SumType(argType)
		}
		return []arrow.Field{
			{Name: a.Name + "$sum", Type: sumType, Nullable: true},
			{Name: a.Name + "$count", Type: arrow.PrimitiveTypes.Int64},
		}
	default: // min, max, first
		return []arrow.Field{{Name: a.Name, Type: argType, Nullable: true}}
	}
}

// AggResultType is the type of an aggregate's final value: sum gives int64, float64 or
// (over decimal(p,s)) decimal(min(38,p+10),s), counts int64, mean float64 or (over
// decimal(p,s)) decimal(min(38,p+4),min(38,s+4)), median, stddev, variance and corr
// float64, top_k, collect_list and collect_set a list of the argument's type, sum
// distinct the type of sum, and min, max, first, last, any_value, bool_and and bool_or
// keep the argument's type.
func AggResultType(f AggFunc, argType arrow.DataType) arrow.DataType {
	if t := statResultType(f, argType); t != nil {
		return t
	}
	switch f {
	case AggSum:
		return SumType(argType)
	case AggMean:
		if isAggDecimal(argType) {
			return MeanDecimalType(argType.(*arrow.Decimal128Type))
		}
		return arrow.PrimitiveTypes.Float64
	case AggCount, AggCountAll, AggCountDistinct:
		return arrow.PrimitiveTypes.Int64
	case AggMedian, AggStddev, AggVariance, AggCorr:
		return arrow.PrimitiveTypes.Float64
	case AggTopK, AggCollectList, AggCollectSet:
		return arrow.ListOf(argType)
	case AggSumDistinct:
		return SumType(argType)
	}
	return argType
}

// AggNeverNull reports whether f's result is never NULL: the counts (0 over no value)
// and collect_list and collect_set (an empty list over no value, as in Spark).
// sum_counts, the merge of counts, is a count too.
func AggNeverNull(f AggFunc) bool {
	switch f {
	case AggCount, AggCountAll, AggCountDistinct, AggCollectList, AggCollectSet, AggSumCounts:
		return true
	}
	return false
}

// IsIntOrFloat reports whether t is an integer, float32 or float64 type: the arguments
// median, stddev, variance, corr and top_k accept.
func IsIntOrFloat(t arrow.DataType) bool {
	return IsInteger(t) || t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// SumType is the type of a sum over t: exact int64 for every integer type,
// decimal(min(38,p+10),s) for decimal(p,s) (Spark's Sum), float64 otherwise.
func SumType(t arrow.DataType) arrow.DataType {
	if IsInteger(t) {
		return arrow.PrimitiveTypes.Int64
	}
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return &arrow.Decimal128Type{Precision: min(aggDecimalMaxPrecision, d.Precision+10), Scale: d.Scale}
	}
	return arrow.PrimitiveTypes.Float64
}

// MeanDecimalType is the type of the mean of decimal(p,s) values: Spark's Average gives
// decimal(min(38,p+4), min(38,s+4)).
func MeanDecimalType(d *arrow.Decimal128Type) *arrow.Decimal128Type {
	return &arrow.Decimal128Type{
		Precision: min(aggDecimalMaxPrecision, d.Precision+4),
		Scale:     min(aggDecimalMaxPrecision, d.Scale+4),
	}
}

// aggDecimalMaxPrecision is the largest precision of decimal128 (and of Spark's decimals).
const aggDecimalMaxPrecision = 38

// isAggDecimal reports whether t is a decimal128 type: the decimals sum, mean, min, max,
// first, count and count distinct take, and that group and sort.
func isAggDecimal(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }

// IsInteger reports whether t is a signed or unsigned integer type.
func IsInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// IsNumeric reports whether t is an integer or floating-point type.
func IsNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return IsInteger(t)
}
