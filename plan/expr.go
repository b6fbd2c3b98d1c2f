package plan

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Expr is a column expression: a tree evaluated once per record batch, producing one
// value per row. Expressions are immutable values; rewrites build new trees.
//
// Column references are by name. Column names are unique within every schema kindling
// produces (the analyzer enforces it), so a name identifies a column for the life of a plan.
type Expr interface {
	// String renders the expression as a user would write it, e.g. (amount > 0).
	String() string
	// Children returns the direct sub-expressions, in evaluation order.
	Children() []Expr
	// WithChildren returns a copy of the expression with its children replaced.
	// len(children) must equal len(Children()).
	WithChildren(children []Expr) Expr
}

// ColumnRef names a column of the input schema.
type ColumnRef struct{ Name string }

// Literal is a constant. Value holds nil (a NULL of Type), bool, int64, float64, string,
// arrow.Date32, arrow.Timestamp or decimal128.Num (the unscaled value of a decimal128
// Type, printed like Spark's 12.50BD); Type is the Arrow type the literal has (int64 for Go
// ints, float64 for floats, utf8 for strings, and so on).
type Literal struct {
	Value any
	Type  arrow.DataType
	// Redacted hides a secret value (a pseudonymization key) from every rendering of
	// the plan, Explain and errors alike: it prints as a fingerprint, distinct per value
	// so that expressions told apart by their text stay apart, but not reversible.
	Redacted bool
}

// Alias gives its child an output name.
type Alias struct {
	Child Expr
	Name  string
}

// BinaryOp is an arithmetic, comparison or boolean operator.
type BinaryOp int

// The binary operators. Arithmetic follows Spark's non-ANSI rules: NULL propagates,
// Div always yields float64 and x/0 is NULL; Mod of 0 is NULL. And/Or use three-valued logic.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpEq
	OpNotEq
	OpLt
	OpLtEq
	OpGt
	OpGtEq
	OpAnd
	OpOr
)

var binaryOpSymbols = [...]string{"+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "AND", "OR"}

// String returns the operator as written in an expression, e.g. <= or AND.
func (op BinaryOp) String() string { return binaryOpSymbols[op] }

// IsComparison reports whether op compares its operands and yields a boolean.
func (op BinaryOp) IsComparison() bool { return op >= OpEq && op <= OpGtEq }

// IsArithmetic reports whether op is +, -, *, / or %.
func (op BinaryOp) IsArithmetic() bool { return op <= OpMod }

// IsLogical reports whether op is AND or OR.
func (op BinaryOp) IsLogical() bool { return op == OpAnd || op == OpOr }

// Flipped returns the comparison op' with (a op b) == (b op' a), so that a comparison
// can be rewritten with its column on the left. Operators other than the ordering
// comparisons are returned unchanged: equality is symmetric, and callers only flip
// comparisons.
func (op BinaryOp) Flipped() BinaryOp {
	switch op {
	case OpLt:
		return OpGt
	case OpLtEq:
		return OpGtEq
	case OpGt:
		return OpLt
	case OpGtEq:
		return OpLtEq
	}
	return op
}

// Binary applies Op to Left and Right.
type Binary struct {
	Op          BinaryOp
	Left, Right Expr
}

// UnaryOp is a one-argument operator.
type UnaryOp int

// The unary operators. IsNull and IsNotNull never yield NULL.
const (
	OpNot UnaryOp = iota
	OpNeg
	OpIsNull
	OpIsNotNull
)

var unaryOpNames = [...]string{"NOT", "-", "IS NULL", "IS NOT NULL"}

// String returns the operator as written in an expression, e.g. NOT or IS NULL.
func (op UnaryOp) String() string { return unaryOpNames[op] }

// Unary applies Op to Child.
type Unary struct {
	Op    UnaryOp
	Child Expr
}

// Cast converts Child to To. A value that cannot be converted (a malformed number in a
// string column) becomes NULL, as in Spark's non-ANSI mode.
type Cast struct {
	Child Expr
	To    arrow.DataType
}

// Call applies a named scalar function. The functions the analyzer knows, with their
// arguments, are: coalesce(x, y, ...), length(s), lower(s), upper(s),
// substring(s, start int64 literal (1-based), length int64 literal), contains(s, str literal),
// starts_with(s, str literal), ends_with(s, str literal).
type Call struct {
	Func string
	Args []Expr
}

// AggFunc identifies an aggregate function.
type AggFunc int

// The aggregate functions. All skip NULL inputs. Over no non-NULL input Sum, Mean, Min,
// Max, First, Median and TopK are NULL, and the counts are 0. New functions are added at
// the end: the values are stable.
const (
	AggSum           AggFunc = iota
	AggCount                 // count(x): non-NULL values of x
	AggCountAll              // count(*): rows
	AggCountDistinct         // count(DISTINCT x)
	AggMean
	AggMin
	AggMax
	AggFirst    // first non-NULL value met; which one is unspecified across partitions
	AggMedian   // exact median as float64 (the mean of the middle two of an even count)
	AggStddev   // sample standard deviation (n-1 denominator); NULL under two values
	AggVariance // sample variance (n-1 denominator); NULL under two values
	AggCorr     // Pearson correlation of Arg and Arg2 over rows where both are non-NULL
	AggTopK     // the K largest values, a list in descending order (NaN largest)
	// statistical aggregates
	AggApproxCountDistinct // HyperLogLog estimate of count(DISTINCT x); Stat.RSD its error
	AggApproxPercentile    // approximate percentile(s) at Stat.Fractions within 1/Stat.Accuracy
	AggPercentile          // exact percentile(s) at Stat.Fractions, interpolated, as float64
	AggStatMode            // the most frequent non-NULL value, the smallest among ties
	// collection aggregates
	AggCollectList // the non-NULL values as a list, in the order met (empty: none)
	AggCollectSet  // the distinct non-NULL values as a list, in the order first met
	AggLast        // the last value met (IgnoreNulls: the last non-NULL one)
	AggAnyValue    // some non-NULL value (the first met, as AggFirst)
	AggBoolAnd     // true when every non-NULL value is true (Spark's every, bool_and)
	AggBoolOr      // true when some non-NULL value is true (Spark's some, bool_or)
	AggSumDistinct // the sum of the distinct non-NULL values
	AggSumCounts   // the sum of int64 counts, 0 over none: merges counts the optimizer split
)

var aggFuncNames = [...]string{"sum", "count", "count", "count_distinct", "mean", "min", "max", "first",
	"median", "stddev", "variance", "corr", "top_k",
	"approx_count_distinct", "percentile_approx", "percentile", "mode",
	"collect_list", "collect_set", "last", "any_value", "bool_and", "bool_or", "sum_distinct", "sum_counts"}

// String returns the function's lower-case name, e.g. sum; both counts print as count, so
// AggExpr.String marks count(*) by its argument.
func (f AggFunc) String() string { return aggFuncNames[f] }

// AggExpr is an aggregate over an argument expression, named by Name in the output.
// Arg is nil for AggCountAll.
type AggExpr struct {
	Func AggFunc
	Arg  Expr
	Name string
	// Arg2 is the second argument of AggCorr (y); nil for every other aggregate.
	Arg2 Expr
	// K is how many values AggTopK keeps per group (at least 1); unused otherwise.
	K int
	// Stat holds the parameters of the statistical aggregates (rsd, fractions,
	// accuracy); nil for the others.
	Stat *AggStatParams
	// IgnoreNulls makes AggLast skip NULL values; unused otherwise.
	IgnoreNulls bool
}

// String renders the aggregate as e.g. sum(amount) AS revenue.
func (a AggExpr) String() string {
	arg := "*"
	if a.Arg != nil {
		arg = a.Arg.String()
	}
	if a.Arg2 != nil {
		arg += ", " + a.Arg2.String()
	}
	if a.Func == AggTopK {
		arg += fmt.Sprintf(", %d", a.K)
	}
	arg += a.Stat.argString(a.Func)
	s := fmt.Sprintf("%s(%s)", a.Func, arg)
	switch a.Func {
	case AggCountDistinct:
		s = fmt.Sprintf("count(DISTINCT %s)", arg)
	case AggSumDistinct:
		s = fmt.Sprintf("sum(DISTINCT %s)", arg)
	case AggLast:
		if a.IgnoreNulls {
			s = fmt.Sprintf("last(%s, true)", arg)
		}
	}
	if a.Name != "" {
		s += " AS " + a.Name
	}
	return s
}

// String returns the column's name.
func (c *ColumnRef) String() string { return c.Name }

// Children returns nil: a column reference is a leaf.
func (c *ColumnRef) Children() []Expr { return nil }

// WithChildren returns c itself: a leaf has no children to replace, and expressions are
// immutable so sharing is safe.
func (c *ColumnRef) WithChildren([]Expr) Expr { return c }

// String renders the literal: NULL, a quoted string, DATE '...' or TIMESTAMP '...', else
// the value as fmt prints it.
func (l *Literal) String() string {
	if l.Redacted {
		sum := sha256.Sum256([]byte(fmt.Sprint(l.Value)))
		return fmt.Sprintf("<redacted %x>", sum[:4])
	}
	switch v := l.Value.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", v)
	case arrow.Date32:
		return "DATE '" + v.FormattedString() + "'"
	case arrow.Timestamp:
		return formatTimestamp(v, l.Type)
	case decimal128.Num:
		return formatDecimal(v, l.Type) + "BD"
	case arrow.MonthDayNanoInterval:
		return "INTERVAL '" + FormatInterval(v) + "'"
	default:
		return fmt.Sprint(v)
	}
}

// Children returns nil: a literal is a leaf.
func (l *Literal) Children() []Expr { return nil }

// WithChildren returns l itself: a leaf has no children to replace, and expressions are
// immutable so sharing is safe.
func (l *Literal) WithChildren([]Expr) Expr { return l }

// String renders the aliased expression as child AS name.
func (a *Alias) String() string { return a.Child.String() + " AS " + a.Name }

// Children returns the aliased expression.
func (a *Alias) Children() []Expr { return []Expr{a.Child} }

// WithChildren returns an alias of c[0] with the same name.
func (a *Alias) WithChildren(c []Expr) Expr { return &Alias{Child: c[0], Name: a.Name} }

// String renders the operation in parentheses, e.g. (amount > 0), so that nesting needs
// no precedence rules.
func (b *Binary) String() string {
	return "(" + b.Left.String() + " " + b.Op.String() + " " + b.Right.String() + ")"
}

// Children returns the left and right operands, in that order.
func (b *Binary) Children() []Expr { return []Expr{b.Left, b.Right} }

// WithChildren returns the same operator applied to c[0] and c[1].
func (b *Binary) WithChildren(c []Expr) Expr {
	return &Binary{Op: b.Op, Left: c[0], Right: c[1]}
}

// String renders the operation in parentheses: postfix for the null tests, e.g.
// (x IS NULL), prefix otherwise.
func (u *Unary) String() string {
	switch u.Op {
	case OpIsNull, OpIsNotNull:
		return "(" + u.Child.String() + " " + u.Op.String() + ")"
	case OpNeg:
		return "(-" + u.Child.String() + ")"
	}
	return "(NOT " + u.Child.String() + ")"
}

// Children returns the operand.
func (u *Unary) Children() []Expr { return []Expr{u.Child} }

// WithChildren returns the same operator applied to c[0].
func (u *Unary) WithChildren(c []Expr) Expr { return &Unary{Op: u.Op, Child: c[0]} }

// String renders the cast as CAST(child AS type).
func (c *Cast) String() string { return "CAST(" + c.Child.String() + " AS " + c.To.String() + ")" }

// Children returns the expression being converted.
func (c *Cast) Children() []Expr { return []Expr{c.Child} }

// WithChildren returns a cast of ch[0] to the same type.
func (c *Cast) WithChildren(ch []Expr) Expr { return &Cast{Child: ch[0], To: c.To} }

// String renders the call as func(arg, ...).
func (c *Call) String() string {
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = a.String()
	}
	return c.Func + "(" + strings.Join(args, ", ") + ")"
}

// Children returns the arguments, in order.
func (c *Call) Children() []Expr { return c.Args }

// WithChildren returns a call of the same function on a copy of ch, so that the caller
// may reuse its slice.
func (c *Call) WithChildren(ch []Expr) Expr {
	return &Call{Func: c.Func, Args: append([]Expr(nil), ch...)}
}

// OutputName is the name an expression's column gets in a projection: the alias, the
// column's own name, or the expression's text.
func OutputName(e Expr) string {
	switch e := e.(type) {
	case *Alias:
		return e.Name
	case *ColumnRef:
		return e.Name
	}
	return e.String()
}

// formatTimestamp prints a timestamp literal as Spark does, TIMESTAMP '2024-03-01
// 00:00:00', with its fraction when it has one and its zone when the type has one (a
// zone-less value is a wall-clock time, printed as it is stored).
func formatTimestamp(v arrow.Timestamp, t arrow.DataType) string {
	unit, zone := arrow.Microsecond, ""
	if tt, ok := t.(*arrow.TimestampType); ok {
		unit, zone = tt.Unit, tt.TimeZone
	}
	tm := v.ToTime(unit)
	s := tm.Format("2006-01-02 15:04:05.999999999")
	if zone != "" {
		if loc, err := time.LoadLocation(zone); err == nil {
			s = tm.In(loc).Format("2006-01-02 15:04:05.999999999 MST")
		} else {
			s += " " + zone
		}
	}
	return "TIMESTAMP '" + s + "'"
}
