package dataset

import "github.com/kindling-data/kindling/plan"

// Nested values: struct fields and lists. They follow Spark SQL's non-ANSI semantics: a
// NULL struct or list gives NULL (size gives -1, as Spark 3 does by default), an index
// out of range gives NULL rather than an error.

// Field is the field called name of the struct x, of the field's type, as Spark's
// x.name (getField). A NULL struct gives NULL. name must be one of the struct's fields
// (matched exactly, case included); another name is an analysis error.
func (x Expr) Field(name string) Expr { return call("get_field", x, Lit(name)) }

// Size is the number of elements of the list x as an int64, NULL elements included. A
// NULL list gives -1, as Spark 3's size does by default (spark.sql.legacy.sizeOfNull
// is true unless ANSI mode is on; Spark 4's ANSI default gives NULL instead).
func Size(x Expr) Expr { return call("size", x) }

// ElementAt is element index of the list x, as Spark's element_at: index is 1-based,
// and a negative index counts from the end (-1 is the last element). index may be a
// column or a literal such as Lit(2), of any integer type. Out of range, the result is
// NULL (Spark's non-ANSI behaviour), as it is for a NULL list or index. Spark rejects
// index 0: a literal 0 is an analysis error here, and a 0 in an index column gives NULL.
func ElementAt(x, index Expr) Expr { return call("element_at", x, index) }

// ArrayContains is true where the list x holds value, as Spark's array_contains. It is
// NULL when x or value is NULL, and also when no element matches but x holds a NULL
// element (the NULL might have been value); otherwise false. value is converted to the
// element type: a literal to any element type it fits, a string column to a list of
// strings; another column must have the element type. Elements may be numbers,
// booleans, dates, timestamps or strings; floats compare as Spark orders them (NaN
// equals NaN, -0.0 equals 0.0).
func ArrayContains(x, value Expr) Expr { return call("array_contains", x, value) }

// Split cuts the string x around the matches of the regular expression regex and
// returns the pieces as a list of strings, as Spark's split with its default limit
// (-1): every piece is kept, empty ones at either end included, so "a,b," split by ","
// is ["a", "b", ""]. A match of the empty string at the start cuts nothing: split by ""
// gives the characters of x (UTF-8 characters, not bytes). An empty x gives [""]. regex
// is Go's RE2 syntax (see RLike); an invalid literal one is an analysis error (in a
// column, an error of the query naming it). regex is a string or an Expr; NULL x or
// regex gives NULL.
func Split(x Expr, regex any) Expr { return call("split", x, argExpr(regex)) }

// Explode replaces the list column col by its elements, as Spark's explode: a row
// becomes one row per element of its list, the other columns repeated, and the column
// keeps its name and position with the element type. A row whose list is NULL or empty
// yields no row (Spark's explode, not explode_outer); NULL elements are kept. col must
// be a list column (an expression can be made one with WithColumn first).
func (d *Dataset) Explode(col string) *Dataset {
	return d.derive(&plan.Explode{Meta: plan.Meta{CallSite: callSite("explode")}, Input: d.node, Column: col})
}

// PosExplode is Explode that also gives each element's position, as Spark's posexplode:
// an int32 column named "pos" holding the element's 0-based index in its list is
// inserted just before col, which keeps its name (Spark names the generated pair "pos"
// and "col"; here the value column keeps the list's name, as Explode does). A row whose
// list is NULL or empty yields no row; NULL elements are kept with their position. The
// input must not already have a column named "pos".
func (d *Dataset) PosExplode(col string) *Dataset {
	return d.derive(&plan.Explode{Meta: plan.Meta{CallSite: callSite("posexplode")}, Input: d.node, Column: col, Pos: true})
}

// ExplodeOuter is Explode that keeps the rows whose list is NULL or empty, as Spark's
// explode_outer: such a row yields one row whose col is NULL.
func (d *Dataset) ExplodeOuter(col string) *Dataset {
	return d.derive(&plan.Explode{Meta: plan.Meta{CallSite: callSite("explode_outer")}, Input: d.node, Column: col, Outer: true})
}

// PosExplodeOuter is PosExplode that keeps the rows whose list is NULL or empty, as
// Spark's posexplode_outer: such a row yields one row whose "pos" and col are NULL.
func (d *Dataset) PosExplodeOuter(col string) *Dataset {
	return d.derive(&plan.Explode{Meta: plan.Meta{CallSite: callSite("posexplode_outer")}, Input: d.node, Column: col, Pos: true, Outer: true})
}
