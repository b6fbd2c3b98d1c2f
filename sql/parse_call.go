package sql

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// aggNames are the aggregate functions by their Spark names.
var aggNames = map[string]plan.AggFunc{
	"sum": plan.AggSum, "count": plan.AggCount, "avg": plan.AggMean, "mean": plan.AggMean,
	"min": plan.AggMin, "max": plan.AggMax, "first": plan.AggFirst, "first_value": plan.AggFirst,
	"last": plan.AggLast, "last_value": plan.AggLast, "any_value": plan.AggAnyValue,
	"median": plan.AggMedian, "stddev": plan.AggStddev, "stddev_samp": plan.AggStddev, "std": plan.AggStddev,
	"variance": plan.AggVariance, "var_samp": plan.AggVariance, "corr": plan.AggCorr,
	"collect_list": plan.AggCollectList, "collect_set": plan.AggCollectSet,
	"bool_and": plan.AggBoolAnd, "every": plan.AggBoolAnd, "bool_or": plan.AggBoolOr, "some": plan.AggBoolOr,
	"any": plan.AggBoolOr, "approx_count_distinct": plan.AggApproxCountDistinct, "mode": plan.AggStatMode,
}

// funcAliases maps Spark's other names of a function onto the plan's catalog name.
var funcAliases = map[string]string{
	"substr": "substring", "startswith": "starts_with", "endswith": "ends_with", "ucase": "upper",
	"lcase": "lower", "power": "pow", "ceiling": "ceil", "day": "dayofmonth", "char_length": "length",
	"character_length": "length", "nvl": "coalesce", "ifnull": "coalesce", "if": "case_when",
	"position": "locate", "regexp_like": "rlike", "sign": "signum", "ln": "ln", "strpos": "instr",
}

// extractFields maps EXTRACT(field FROM x) onto the plan's date functions.
var extractFields = map[string]string{"year": "year", "quarter": "quarter", "month": "month",
	"day": "dayofmonth", "dayofweek": "dayofweek", "doy": "dayofyear", "dayofyear": "dayofyear",
	"week": "weekofyear", "hour": "hour", "minute": "minute", "second": "second"}

// call reads the arguments of name( ... ), the opening parenthesis already read.
func (p *parser) call(name string, at pos) (plan.Expr, error) {
	switch name {
	case "extract":
		return p.extract(at)
	case "substring", "substr":
		if x, ok, err := p.substringFrom(); ok || err != nil {
			return x, err
		}
	}
	if f, ok := aggNames[name]; ok {
		return p.aggregate(name, f, at)
	}
	var args []plan.Expr
	if !p.isOp(")") {
		var err error
		if args, err = p.exprList(); err != nil {
			return nil, err
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if _, ok := winKinds[name]; ok || p.isKw("over") || p.isIgnoreNulls() {
		return p.windowCall(name, args, at)
	}
	if a, ok := funcAliases[name]; ok {
		name = a
	}
	switch name {
	case "mod":
		if len(args) == 2 {
			return &plan.Binary{Op: plan.OpMod, Left: args[0], Right: args[1]}, nil
		}
	case "date":
		if len(args) == 1 {
			return &plan.Cast{Child: args[0], To: arrow.FixedWidthTypes.Date32}, nil
		}
	}
	if !knownFunction(name) {
		return nil, errAt(at, "unknown function %s", name)
	}
	return &plan.Call{Func: name, Args: args}, nil
}

func knownFunction(name string) bool {
	for _, n := range plan.FunctionNames() {
		if n == name {
			return true
		}
	}
	return false
}

// aggregate reads the arguments of an aggregate: *, DISTINCT x, or expressions.
func (p *parser) aggregate(name string, f plan.AggFunc, at pos) (plan.Expr, error) {
	a := &aggCall{fn: name, p: at}
	if name == "count" && p.acceptOp("*") {
		a.star = true
	} else {
		if p.acceptKw("distinct") {
			a.distinct = true
		} else {
			p.acceptKw("all")
		}
		var err error
		if a.args, err = p.exprList(); err != nil {
			return nil, err
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if p.isKw("over") || p.isIgnoreNulls() {
		return p.windowAgg(a)
	}
	if p.isKw("filter") {
		return nil, p.unsupportedErr("FILTER (WHERE ...) on an aggregate")
	}
	want := 1
	if f == plan.AggCorr {
		want = 2
	}
	if !a.star && len(a.args) != want {
		return nil, errAt(at, "%s takes %d argument(s), got %d", name, want, len(a.args))
	}
	if a.distinct && f != plan.AggCount && f != plan.AggSum && f != plan.AggMin && f != plan.AggMax {
		return nil, errAt(at, "%s(DISTINCT ...) is not supported", name)
	}
	return a, nil
}

// extract reads field FROM x).
func (p *parser) extract(at pos) (plan.Expr, error) {
	t := p.next()
	fn, ok := extractFields[lower(t.text)]
	if !ok || t.kind != tokIdent {
		p.i--
		return nil, p.unexpected("a date field (YEAR, MONTH, DAY, ...)")
	}
	if err := p.expectKw("from"); err != nil {
		return nil, err
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	return &plan.Call{Func: fn, Args: []plan.Expr{x}}, p.expectOp(")")
}

// substringFrom reads SUBSTRING(x FROM start [FOR length]); ok is false (nothing read)
// for the plain argument list.
func (p *parser) substringFrom() (plan.Expr, bool, error) {
	save := p.i
	x, err := p.expr()
	if err != nil || !p.acceptKw("from") {
		p.i = save
		return nil, false, nil
	}
	start, err := p.expr()
	if err != nil {
		return nil, true, err
	}
	args := []plan.Expr{x, start}
	if p.acceptKw("for") {
		n, err := p.expr()
		if err != nil {
			return nil, true, err
		}
		args = append(args, n)
	}
	return &plan.Call{Func: "substring", Args: args}, true, p.expectOp(")")
}

// castExpr reads x AS type), CAST( already read.
func (p *parser) castExpr() (plan.Expr, error) {
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("as"); err != nil {
		return nil, err
	}
	t, err := p.typeName()
	if err != nil {
		return nil, err
	}
	return &plan.Cast{Child: x, To: t}, p.expectOp(")")
}

var typeNames = map[string]arrow.DataType{
	"boolean": arrow.FixedWidthTypes.Boolean, "bool": arrow.FixedWidthTypes.Boolean,
	"tinyint": arrow.PrimitiveTypes.Int8, "byte": arrow.PrimitiveTypes.Int8,
	"smallint": arrow.PrimitiveTypes.Int16, "short": arrow.PrimitiveTypes.Int16,
	"int": arrow.PrimitiveTypes.Int32, "integer": arrow.PrimitiveTypes.Int32,
	"bigint": arrow.PrimitiveTypes.Int64, "long": arrow.PrimitiveTypes.Int64,
	"float": arrow.PrimitiveTypes.Float32, "real": arrow.PrimitiveTypes.Float32,
	"double": arrow.PrimitiveTypes.Float64, "string": arrow.BinaryTypes.String,
	"varchar": arrow.BinaryTypes.String, "char": arrow.BinaryTypes.String, "text": arrow.BinaryTypes.String,
	"date": arrow.FixedWidthTypes.Date32, "timestamp": arrow.FixedWidthTypes.Timestamp_us,
}

// typeName reads a type of CAST: a Spark name, decimal(p,s), varchar(n).
func (p *parser) typeName() (arrow.DataType, error) {
	t := p.peek()
	w := lower(t.text)
	if t.kind != tokIdent {
		return nil, p.unexpected("a type name")
	}
	p.i++
	if w == "decimal" || w == "numeric" || w == "dec" {
		prec, scale := int32(10), int32(0)
		if p.acceptOp("(") {
			var err error
			if prec, err = p.int32Arg(); err != nil {
				return nil, err
			}
			if p.acceptOp(",") {
				if scale, err = p.int32Arg(); err != nil {
					return nil, err
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		}
		if prec < 1 || prec > 38 || scale < 0 || scale > prec {
			return nil, errAt(pos{t.line, t.col}, "decimal(%d,%d): precision must be 1 to 38 and scale 0 to the precision", prec, scale)
		}
		return &arrow.Decimal128Type{Precision: prec, Scale: scale}, nil
	}
	dt, ok := typeNames[w]
	if !ok {
		p.i--
		return nil, errAt(p.here(), "unknown or unsupported type %s", t.text)
	}
	if (w == "varchar" || w == "char") && p.acceptOp("(") {
		if _, err := p.int32Arg(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	return dt, nil
}

func (p *parser) int32Arg() (int32, error) {
	t := p.peek()
	n, err := strconv.ParseInt(t.text, 10, 32)
	if t.kind != tokNumber || err != nil {
		return 0, p.unexpected("an integer")
	}
	p.i++
	return int32(n), nil
}
