package plan

// Pruning below and above a filter. A filter reads its condition's columns, but its
// consumer may not need them: a projection above the filter drops them as soon as the
// rows are chosen (the physical filter keeps only the projected columns), so that a join
// or an exchange above does not carry them. The SQL binder writes a join's ON filter of
// one side as a bare filter where a DataFrame program would select its columns after
// it (TPC-H Q13 shuffled every order's comment to count orders per customer).

// pruneFilter prunes f's input to the columns f's consumer needs plus the condition's,
// and selects the needed ones after f when the condition read others.
func (o *optimizer) pruneFilter(f *Filter, need map[string]bool) Node {
	childNeed := copySet(need)
	addColumns(f.Cond, childNeed)
	nf := o.pruneInput(f, childNeed)
	s := nf.Schema()
	if s == nil {
		return nf
	}
	var exprs []Expr
	for _, fl := range s.Fields() {
		if need[fl.Name] {
			exprs = append(exprs, &ColumnRef{Name: fl.Name})
		}
	}
	if len(exprs) == 0 || len(exprs) == s.NumFields() {
		return nf
	}
	return o.rebuild(&Project{Meta: Meta{CallSite: f.CallSite}, Input: nf, Exprs: exprs})
}
