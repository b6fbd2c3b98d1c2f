package plan

import "github.com/apache/arrow-go/v18/arrow"

// checkCollectArg checks the argument of collect_list, collect_set, last, any_value,
// bool_and, bool_or and sum distinct, as checkAggArg does for the others: the
// collections, last and any_value take any comparable type (a dictionary read as its
// strings), bool_and and bool_or booleans, sum distinct numbers (decimals included).
func checkCollectArg(ra *AggExpr, arg Expr, t arrow.DataType, site string) (Expr, arrow.DataType, error) {
	switch ra.Func {
	case AggBoolAnd, AggBoolOr:
		if t.ID() != arrow.BOOL {
			return nil, nil, failAt(site, ErrType, "%s needs a boolean argument, got %s", *ra, typeName(t))
		}
	case AggSumCounts:
		if t.ID() != arrow.INT64 {
			return nil, nil, failAt(site, ErrType, "%s needs int64 counts, got %s", *ra, typeName(t))
		}
	case AggSumDistinct:
		if !IsNumeric(t) && !isAggDecimal(t) {
			return nil, nil, failAt(site, ErrType, "%s needs a numeric argument, got %s", *ra, typeName(t))
		}
	default:
		if !isComparable(t) || t.ID() == arrow.NULL {
			return nil, nil, failAt(site, ErrType, "%s needs a comparable argument, got %s", *ra, typeName(t))
		}
		if t.ID() == arrow.DICTIONARY {
			return &Cast{Child: arg, To: typString}, typString, nil
		}
	}
	return arg, t, nil
}
