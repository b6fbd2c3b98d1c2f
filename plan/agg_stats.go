package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The statistical aggregates: approx_count_distinct, percentile_approx, percentile and
// mode. Their parameters travel in AggExpr.Stat.

// AggStatParams are the parameters of a statistical aggregate.
type AggStatParams struct {
	// RSD is approx_count_distinct's relative standard deviation (0 means 0.05).
	RSD float64
	// Fractions are the percentiles of percentile and percentile_approx, each in [0, 1].
	Fractions []float64
	// Many is set when the fractions were given as a list: the result is then a list
	// with one value per fraction, even for a single fraction.
	Many bool
	// Accuracy is percentile_approx's accuracy (0 means 10000): the rank of the value
	// returned is within n/Accuracy of the exact one.
	Accuracy int
}

// Defaults of the statistical aggregates' parameters (Spark's).
const (
	DefaultRSD      = 0.05
	DefaultAccuracy = 10000
	// hllMaxPrecision bounds the register count (2^18 bytes per group).
	hllMaxPrecision = 18
)

// rsd returns the relative standard deviation asked for, or the default.
func (p *AggStatParams) rsd() float64 {
	if p == nil || p.RSD == 0 {
		return DefaultRSD
	}
	return p.RSD
}

// AccuracyOrDefault returns the accuracy asked for, or the default.
func (p *AggStatParams) AccuracyOrDefault() int {
	if p == nil || p.Accuracy == 0 {
		return DefaultAccuracy
	}
	return p.Accuracy
}

// HLLPrecision returns the precision p (2^p registers) of an approx_count_distinct with
// the given parameters, as Spark derives it: p = ceil(2*log2(1.106/rsd)).
func HLLPrecision(p *AggStatParams) (int, error) {
	rsd := p.rsd()
	if !(rsd > 0) || math.IsInf(rsd, 0) {
		return 0, fmt.Errorf("relative standard deviation must be positive, got %g", rsd)
	}
	prec := int(math.Ceil(2 * math.Log2(1.106/rsd)))
	if prec < 4 {
		return 0, fmt.Errorf("relative standard deviation %g is too large: HyperLogLog needs at least 4 bits for addressing, use at most 0.39", rsd)
	}
	if prec > hllMaxPrecision {
		return 0, fmt.Errorf("relative standard deviation %g is too small: at least 0.0022 (2^%d registers)", rsd, hllMaxPrecision)
	}
	return prec, nil
}

// argString renders the parameters after the argument in the aggregate's default name.
func (p *AggStatParams) argString(f AggFunc) string {
	if p == nil {
		return ""
	}
	switch f {
	case AggApproxCountDistinct:
		if p.RSD != 0 && p.RSD != DefaultRSD {
			return ", " + strconv.FormatFloat(p.RSD, 'g', -1, 64)
		}
	case AggPercentile:
		return ", " + p.fractionsString()
	case AggApproxPercentile:
		return ", " + p.fractionsString() + ", " + strconv.Itoa(p.AccuracyOrDefault())
	}
	return ""
}

func (p *AggStatParams) fractionsString() string {
	fs := make([]string, len(p.Fractions))
	for i, f := range p.Fractions {
		fs[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	if !p.Many && len(fs) == 1 {
		return fs[0]
	}
	return "array(" + strings.Join(fs, ", ") + ")"
}

// checkStatAggArg checks the argument of a statistical aggregate and its parameters.
func checkStatAggArg(ra *AggExpr, arg Expr, t arrow.DataType, site string) (Expr, arrow.DataType, error) {
	switch ra.Func {
	case AggApproxCountDistinct:
		if !isComparable(t) {
			return nil, nil, failAt(site, ErrType, "%s needs a comparable argument, got %s", *ra, typeName(t))
		}
		if _, err := HLLPrecision(ra.Stat); err != nil {
			return nil, nil, failAt(site, ErrInvalidPlan, "%s: %v", *ra, err)
		}
	case AggApproxPercentile, AggPercentile:
		if !IsIntOrFloat(t) && !(ra.Func == AggApproxPercentile && IsTemporal(t)) {
			what := "an integer or floating-point"
			if ra.Func == AggApproxPercentile {
				what = "a numeric, date or time"
			}
			return nil, nil, failAt(site, ErrType, "%s needs %s argument, got %s", *ra, what, typeName(t))
		}
		if err := checkFractions(ra.Stat); err != nil {
			return nil, nil, failAt(site, ErrInvalidPlan, "%s: %v", *ra, err)
		}
		if ra.Func == AggApproxPercentile && ra.Stat.Accuracy < 0 {
			return nil, nil, failAt(site, ErrInvalidPlan, "%s: accuracy must be positive, got %d", *ra, ra.Stat.Accuracy)
		}
	case AggStatMode:
		switch {
		case IsIntOrFloat(t), IsTemporal(t), t.ID() == arrow.STRING:
		case t.ID() == arrow.LARGE_STRING,
			t.ID() == arrow.DICTIONARY && IsStringLike(t.(*arrow.DictionaryType).ValueType):
			return &Cast{Child: arg, To: typString}, typString, nil
		default:
			return nil, nil, failAt(site, ErrType, "%s needs a numeric, string, date or time argument, got %s", *ra, typeName(t))
		}
	}
	return arg, t, nil
}

// IsTemporal reports whether t is a date, time, timestamp or duration: values stored as
// integers, which order as their integers do.
func IsTemporal(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return true
	}
	return false
}

// IsStringLike reports whether t is string or large_string.
func IsStringLike(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

func checkFractions(p *AggStatParams) error {
	if p == nil || len(p.Fractions) == 0 {
		return fmt.Errorf("needs at least one percentage")
	}
	for _, f := range p.Fractions {
		if !(f >= 0 && f <= 1) {
			return fmt.Errorf("percentage %g is not between 0 and 1", f)
		}
	}
	return nil
}

// AggOutputField is the output field (name, type, nullability) of aggregate a over
// arguments of type argType: AggResultType's type, a list of it for the percentiles
// asked at several fractions; counts are never NULL.
func AggOutputField(a AggExpr, argType arrow.DataType) arrow.Field {
	f := arrow.Field{Name: a.Name, Type: AggResultType(a.Func, argType), Nullable: !AggNeverNull(a.Func)}
	switch a.Func {
	case AggApproxCountDistinct:
		f.Nullable = false
	case AggApproxPercentile, AggPercentile:
		if a.Stat != nil && (a.Stat.Many || len(a.Stat.Fractions) > 1) {
			f.Type = arrow.ListOf(f.Type)
		}
	}
	return f
}

// statResultType is the result type of a statistical aggregate with one fraction (the
// list forms are AggOutputField's), nil for the others.
func statResultType(f AggFunc, argType arrow.DataType) arrow.DataType {
	switch f {
	case AggApproxCountDistinct:
		return arrow.PrimitiveTypes.Int64
	case AggPercentile:
		return arrow.PrimitiveTypes.Float64
	case AggApproxPercentile, AggStatMode:
		return argType
	}
	return nil
}

// ModeValueType is the type mode keeps its values in: int64 for integers, dates and
// times, float64 for floats, string for strings.
func ModeValueType(argType arrow.DataType) arrow.DataType {
	switch {
	case IsInteger(argType), IsTemporal(argType):
		return arrow.PrimitiveTypes.Int64
	case IsIntOrFloat(argType):
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.BinaryTypes.String
}

// statStateFields returns the state columns of a statistical aggregate, nil for the
// others:
//
//	approx_count_distinct <name>  fixed_size_binary(2^p): one HyperLogLog register a byte
//	percentile_approx <name>$values list<float64>, <name>$levels list<int8>: the
//	               sketch's retained values, each standing for 2^level input values
//	percentile     <name>        list<float64>: the non-NULL values seen (NULL: none)
//	mode           <name>$values list<ModeValueType>, <name>$counts list<int64>
func statStateFields(a AggExpr, argType arrow.DataType) []arrow.Field {
	f64 := arrow.PrimitiveTypes.Float64
	switch a.Func {
	case AggApproxCountDistinct:
		p, err := HLLPrecision(a.Stat)
		if err != nil {
			p = 4 // analysis rejects it first
		}
		return []arrow.Field{{Name: a.Name, Type: &arrow.FixedSizeBinaryType{ByteWidth: 1 << p}}}
	case AggApproxPercentile:
		return []arrow.Field{
			{Name: a.Name + "$values", Type: arrow.ListOf(f64), Nullable: true},
			{Name: a.Name + "$levels", Type: arrow.ListOf(arrow.PrimitiveTypes.Int8), Nullable: true},
		}
	case AggPercentile:
		return []arrow.Field{{Name: a.Name, Type: arrow.ListOf(f64), Nullable: true}}
	case AggStatMode:
		return []arrow.Field{
			{Name: a.Name + "$values", Type: arrow.ListOf(ModeValueType(argType)), Nullable: true},
			{Name: a.Name + "$counts", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		}
	}
	return nil
}
