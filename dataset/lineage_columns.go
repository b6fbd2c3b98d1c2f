package dataset

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Column-level lineage, read off the analyzed logical plan: each node maps its output
// columns to the input fields (of the scans' datasets) they derive from. A column's
// dependency through several steps takes the strongest step (an aggregate of a sum of a
// copy is an aggregation), and is masked only when every path from the field hashes or
// masks it on the way (one raw path lets the value through).

// The DIRECT subtypes, weakest first: composing steps keeps the strongest.
const (
	rankIdentity = iota
	rankTransformation
	rankAggregation
)

var rankSubtypes = [...]string{"IDENTITY", "TRANSFORMATION", "AGGREGATION"}

// maskingFuncs are the built-in functions whose output does not show their input.
var maskingFuncs = map[string]bool{"md5": true, "sha1": true, "sha2": true, "hmac_sha256": true,
	"mask": true, "hash": true, "xxhash64": true}

// lineageField is one field of an input dataset.
type lineageField struct{ ns, name, field string }

// directDep is how a column derives from one input field.
type directDep struct {
	rank    int
	masking bool
}

// colDeps are the input fields one column derives from.
type colDeps map[lineageField]directDep

// add records a path from f: the strongest of the paths counts, and the column is
// masked only if every path masks (one raw path lets the value through).
func (c colDeps) add(f lineageField, d directDep) {
	if e, ok := c[f]; ok {
		d = directDep{rank: max(e.rank, d.rank), masking: e.masking && d.masking}
	}
	c[f] = d
}

// addVia records in's paths continued by a step of rank r, masking or not.
func (c colDeps) addVia(in colDeps, r int, masking bool) {
	for f, d := range in {
		c.add(f, directDep{rank: max(d.rank, r), masking: d.masking || masking})
	}
}

// nodeCols maps a node's output columns to their dependencies. Maps a node returns may
// be shared with its input: callers build new ones rather than change them.
type nodeCols map[string]colDeps

// lineageInput is an input dataset with the schema its scan reads.
type lineageInput struct {
	ns, name string
	schema   *arrow.Schema
}

// lineageWalk collects a plan's inputs and the fields that decide its rows as it maps
// its columns.
type lineageWalk struct {
	inputs   []lineageInput
	indirect map[lineageField]map[string]bool
	root     nodeCols
}

func walkLineage(root plan.Node) *lineageWalk {
	w := &lineageWalk{indirect: map[lineageField]map[string]bool{}}
	w.root = w.node(root)
	return w
}

func (w *lineageWalk) node(n plan.Node) nodeCols {
	switch n := n.(type) {
	case *plan.Scan:
		return w.scan(n)
	case *plan.Project:
		in := w.node(n.Input)
		out := nodeCols{}
		for _, e := range n.Exprs {
			out[plan.OutputName(e)] = exprDeps(e, in, rankIdentity)
		}
		return out
	case *plan.Filter:
		in := w.node(n.Input)
		w.indirectExpr(n.Cond, in, "FILTER")
		return in
	case *plan.Sort:
		in := w.node(n.Input)
		for _, k := range n.Keys {
			w.indirectCol(in[k.Column], "SORT")
		}
		return in
	case *plan.Aggregate:
		return w.aggregate(n)
	case *plan.Join:
		return w.join(n)
	case *plan.AsOfJoin:
		return w.asOfJoin(n)
	case *plan.Window:
		return w.window(n)
	case *plan.Expand:
		in := w.node(n.Input)
		out := nodeCols{}
		for i, name := range n.Names {
			d := colDeps{}
			for _, p := range n.Projections {
				d.addVia(exprDeps(p[i], in, rankIdentity), rankIdentity, false)
			}
			out[name] = d
		}
		return out
	case *plan.Explode:
		in := w.node(n.Input)
		out := make(nodeCols, len(in)+1)
		for k, v := range in {
			out[k] = v
		}
		elem := colDeps{}
		elem.addVia(in[n.Column], rankTransformation, false)
		out[n.Column] = elem
		if n.Pos {
			out[plan.PosColumn] = elem
		}
		return out
	case *plan.MapBatches:
		return opaque(n, w.node(n.Input))
	case *plan.MapPartitions:
		in := w.node(n.Input)
		// A row-wise stage keeping its input's schema is an observer, such as the
		// stage that counts Expect's checks: its rows are its input's.
		if n.RowWise && n.OutputSchema == nil {
			return in
		}
		return opaque(n, in)
	}
	// Limits, repartitions, samples, caches and hints pass their columns through.
	var ins []nodeCols
	for _, c := range n.Children() {
		ins = append(ins, w.node(c))
	}
	return byName(n, ins)
}

// byName maps each output column to the same-named input columns; a column no input
// has derives from every input column (what a node we cannot read might compute).
func byName(n plan.Node, ins []nodeCols) nodeCols {
	out := nodeCols{}
	s := n.Schema()
	if s == nil {
		return out
	}
	var all colDeps
	for _, f := range s.Fields() {
		d := colDeps{}
		found := false
		for _, in := range ins {
			if c, ok := in[f.Name]; ok {
				d.addVia(c, rankIdentity, false)
				found = true
			}
		}
		if !found {
			if all == nil {
				all = colDeps{}
				for _, in := range ins {
					for _, c := range in {
						all.addVia(c, rankTransformation, false)
					}
				}
			}
			d = all
		}
		out[f.Name] = d
	}
	return out
}

// opaque maps a user function's output: any column may come from any input column.
func opaque(n plan.Node, in nodeCols) nodeCols {
	all := colDeps{}
	for _, c := range in {
		all.addVia(c, rankTransformation, false)
	}
	out := nodeCols{}
	if s := n.Schema(); s != nil {
		for _, f := range s.Fields() {
			out[f.Name] = all
		}
	}
	return out
}

// exprDeps is what an expression's value derives from: a bare column reference passes
// its column on at rank base, anything else transforms (at least) the columns it reads.
func exprDeps(e plan.Expr, in nodeCols, base int) colDeps {
	for {
		a, ok := e.(*plan.Alias)
		if !ok {
			break
		}
		e = a.Child
	}
	out := colDeps{}
	if c, ok := e.(*plan.ColumnRef); ok {
		out.addVia(in[c.Name], base, false)
		return out
	}
	rank := max(base, rankTransformation)
	var walk func(e plan.Expr, masked bool)
	walk = func(e plan.Expr, masked bool) {
		switch x := e.(type) {
		case *plan.ColumnRef:
			out.addVia(in[x.Name], rank, masked)
			return
		case *plan.Call:
			masked = masked || maskingFuncs[x.Func]
		case *plan.UDFCall:
			_, token := x.Impl.(*tokenImpl)
			masked = masked || token
		}
		for _, c := range e.Children() {
			walk(c, masked)
		}
	}
	walk(e, false)
	return out
}

func (w *lineageWalk) aggregate(n *plan.Aggregate) nodeCols {
	in := w.node(n.Input)
	out := nodeCols{}
	for _, k := range n.Keys {
		out[k] = in[k]
		w.indirectCol(in[k], "GROUP_BY")
	}
	for _, a := range n.Aggs {
		d := colDeps{}
		for _, arg := range []plan.Expr{a.Arg, a.Arg2} {
			if arg != nil {
				d.addVia(exprDeps(arg, in, rankAggregation), rankIdentity, false)
			}
		}
		out[a.Name] = d
	}
	return out
}

// join lays out a join's columns as the analyzer does: the left input's, then the right
// input's but its "using" keys (whose values a right or full join coalesces into the
// left key), renamed where they clash.
func (w *lineageWalk) join(j *plan.Join) nodeCols {
	lc, rc := w.node(j.Left), w.node(j.Right)
	for i := range j.LeftKeys {
		w.indirectCol(lc[j.LeftKeys[i]], "JOIN")
		w.indirectCol(rc[j.RightKeys[i]], "JOIN")
	}
	if j.Cond != nil {
		w.indirectJoinCond(j.Cond, lc, rc)
	}
	ls, rs, outS := j.Left.Schema(), j.Right.Schema(), j.Schema()
	keepsRight := j.Kind != plan.LeftSemiJoin && j.Kind != plan.LeftAntiJoin
	using := map[string]bool{}
	for i, lk := range j.LeftKeys {
		if keepsRight && i < len(j.LeftKeys)-j.CondKeys && lk == j.RightKeys[i] {
			using[lk] = true
		}
	}
	want := 0
	if ls != nil {
		want = ls.NumFields()
	}
	if keepsRight && rs != nil {
		want += rs.NumFields() - len(using)
	}
	if ls == nil || rs == nil || outS == nil || outS.NumFields() != want {
		return byName(j, []nodeCols{lc, rc})
	}
	out := nodeCols{}
	for i, f := range ls.Fields() {
		out[outS.Field(i).Name] = lc[f.Name]
	}
	if !keepsRight {
		return out
	}
	k := ls.NumFields()
	for _, f := range rs.Fields() {
		if !using[f.Name] {
			out[outS.Field(k).Name] = rc[f.Name]
			k++
			continue
		}
		if j.Kind == plan.RightJoin || j.Kind == plan.FullJoin {
			d := colDeps{}
			d.addVia(lc[f.Name], rankIdentity, false)
			d.addVia(rc[f.Name], rankIdentity, false)
			out[f.Name] = d
		}
	}
	return out
}

// indirectJoinCond marks the columns of a join's residual condition, on either side.
func (w *lineageWalk) indirectJoinCond(cond plan.Expr, lc, rc nodeCols) {
	var walk func(e plan.Expr)
	walk = func(e plan.Expr) {
		switch x := e.(type) {
		case *plan.JoinSideRef:
			if x.Right {
				w.indirectCol(rc[x.Name], "JOIN")
			} else {
				w.indirectCol(lc[x.Name], "JOIN")
			}
			return
		case *plan.ColumnRef:
			w.indirectCol(lc[x.Name], "JOIN")
			w.indirectCol(rc[x.Name], "JOIN")
			return
		}
		for _, c := range e.Children() {
			walk(c)
		}
	}
	walk(cond)
}

// asOfJoin lays out the left input's columns, then the right input's but its On column
// and By keys.
func (w *lineageWalk) asOfJoin(j *plan.AsOfJoin) nodeCols {
	lc, rc := w.node(j.Left), w.node(j.Right)
	drop := map[string]bool{j.On: true}
	for _, k := range append([]string{j.On}, j.By...) {
		drop[k] = true
		w.indirectCol(lc[k], "JOIN")
		w.indirectCol(rc[k], "JOIN")
	}
	ls, rs, outS := j.Left.Schema(), j.Right.Schema(), j.Schema()
	if ls == nil || rs == nil || outS == nil {
		return byName(j, []nodeCols{lc, rc})
	}
	var kept []string
	for _, f := range rs.Fields() {
		if !drop[f.Name] {
			kept = append(kept, f.Name)
		}
	}
	if outS.NumFields() != ls.NumFields()+len(kept) {
		return byName(j, []nodeCols{lc, rc})
	}
	out := nodeCols{}
	for i, f := range ls.Fields() {
		out[outS.Field(i).Name] = lc[f.Name]
	}
	for i, name := range kept {
		out[outS.Field(ls.NumFields()+i).Name] = rc[name]
	}
	return out
}

// window passes its input's columns through and adds one per function: an aggregate
// aggregates its arguments, lag, lead and the value functions copy theirs, and the
// ranking functions read only the window's keys.
func (w *lineageWalk) window(n *plan.Window) nodeCols {
	in := w.node(n.Input)
	for _, c := range n.PartitionBy {
		w.indirectCol(in[c], "WINDOW")
	}
	for _, k := range n.OrderBy {
		w.indirectCol(in[k.Column], "WINDOW")
	}
	out := make(nodeCols, len(in)+len(n.Exprs))
	for k, v := range in {
		out[k] = v
	}
	for _, e := range n.Exprs {
		d := colDeps{}
		switch e.Fn.Func {
		case plan.WinAgg:
			for _, arg := range []plan.Expr{e.Fn.Agg.Arg, e.Fn.Agg.Arg2} {
				if arg != nil {
					d.addVia(exprDeps(arg, in, rankAggregation), rankIdentity, false)
				}
			}
		case plan.WinLag, plan.WinLead, plan.WinFirstValue, plan.WinLastValue, plan.WinNthValue:
			for _, arg := range e.Fn.Args {
				if arg != nil {
					d.addVia(exprDeps(arg, in, rankIdentity), rankIdentity, false)
				}
			}
		}
		out[e.Name] = d
	}
	return out
}

// scan registers the scan's datasets; each column is the same-named field of each.
func (w *lineageWalk) scan(n *plan.Scan) nodeCols {
	sets := scanDatasets(n)
	for _, ds := range sets {
		if !slices.ContainsFunc(w.inputs, func(in lineageInput) bool { return in.ns == ds.ns && in.name == ds.name }) {
			w.inputs = append(w.inputs, ds)
		}
	}
	out := nodeCols{}
	if n.Schema() == nil {
		return out
	}
	for _, f := range n.Schema().Fields() {
		d := colDeps{}
		for _, ds := range sets {
			d[lineageField{ds.ns, ds.name, f.Name}] = directDep{rank: rankIdentity}
		}
		out[f.Name] = d
	}
	return out
}

// fileSourceKinds are the sources that describe themselves as kind[pattern,…] over
// files.
var fileSourceKinds = map[string]bool{"csv": true, "parquet": true, "ipc": true, "json": true, "checkpoint": true}

// scanDatasets names a scan's datasets after its source's description: one per file
// pattern, made absolute; anything else (in-memory batches, a reader, a local
// checkpoint's blocks) is in the memory namespace, named by the call that made it.
func scanDatasets(n *plan.Scan) []lineageInput {
	desc := n.Source.String()
	kind, inner, ok := strings.Cut(desc, "[")
	inner = strings.TrimSuffix(inner, "]")
	if ok && fileSourceKinds[kind] && !strings.HasPrefix(inner, "dataset ") && inner != "" {
		var out []lineageInput
		for _, p := range strings.Split(inner, ",") {
			name, err := absPath(p)
			if err != nil {
				name = p
			}
			out = append(out, lineageInput{ns: "file", name: name, schema: n.Schema()})
		}
		return out
	}
	name := n.Site()
	if name == "" {
		name = desc
	}
	return []lineageInput{{ns: "memory", name: name, schema: n.Schema()}}
}

func (w *lineageWalk) indirectCol(d colDeps, subtype string) {
	for f := range d {
		m := w.indirect[f]
		if m == nil {
			m = map[string]bool{}
			w.indirect[f] = m
		}
		m[subtype] = true
	}
}

func (w *lineageWalk) indirectExpr(e plan.Expr, in nodeCols, subtype string) {
	for _, c := range plan.ColumnsOf(e) {
		w.indirectCol(in[c], subtype)
	}
}

// inputDatasets are the plan's inputs, in the order its scans appear, with their
// schemas.
func (w *lineageWalk) inputDatasets() []LineageDataset {
	out := make([]LineageDataset, 0, len(w.inputs))
	for _, in := range w.inputs {
		ds := LineageDataset{Namespace: in.ns, Name: in.name}
		if in.schema != nil {
			ds.Facets.Schema = &LineageSchemaFacet{LineageFacet: facet("1-1-1/SchemaDatasetFacet"), Fields: schemaFields(in.schema.Fields())}
		}
		out = append(out, ds)
	}
	return out
}

// columnFacet renders the lineage of root's columns, fields sorted so that events are
// stable from run to run.
func (w *lineageWalk) columnFacet(root plan.Node) *LineageColumnLineageFacet {
	f := &LineageColumnLineageFacet{LineageFacet: facet("1-2-0/ColumnLineageDatasetFacet"), Fields: map[string]LineageColumnInputs{}}
	for _, col := range root.Schema().Fields() {
		fields := make([]LineageInputField, 0, len(w.root[col.Name]))
		for in, d := range w.root[col.Name] {
			fields = append(fields, LineageInputField{Namespace: in.ns, Name: in.name, Field: in.field,
				Transformations: []LineageTransformation{{Type: "DIRECT", Subtype: rankSubtypes[d.rank], Masking: d.masking}}})
		}
		sortInputFields(fields)
		f.Fields[col.Name] = LineageColumnInputs{InputFields: fields}
	}
	for in, subtypes := range w.indirect {
		field := LineageInputField{Namespace: in.ns, Name: in.name, Field: in.field}
		for _, s := range slices.Sorted(maps.Keys(subtypes)) {
			field.Transformations = append(field.Transformations, LineageTransformation{Type: "INDIRECT", Subtype: s})
		}
		f.Dataset = append(f.Dataset, field)
	}
	sortInputFields(f.Dataset)
	return f
}

func sortInputFields(fs []LineageInputField) {
	slices.SortFunc(fs, func(a, b LineageInputField) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Field, b.Field))
	})
}

// schemaFacet is the schema of an analyzed node.
func schemaFacet(n plan.Node) *LineageSchemaFacet {
	return &LineageSchemaFacet{LineageFacet: facet("1-1-1/SchemaDatasetFacet"), Fields: schemaFields(n.Schema().Fields())}
}

// schemaFields names each field's Arrow type, a dictionary by its values' (what the
// column holds), and nests the fields of structs and the element of lists and maps.
func schemaFields(fields []arrow.Field) []LineageSchemaField {
	out := make([]LineageSchemaField, 0, len(fields))
	for _, f := range fields {
		t := f.Type
		if d, ok := t.(*arrow.DictionaryType); ok {
			t = d.ValueType
		}
		sf := LineageSchemaField{Name: f.Name, Type: t.String()}
		switch t := t.(type) {
		case *arrow.StructType:
			sf.Type, sf.Fields = "struct", schemaFields(t.Fields())
		case arrow.ListLikeType:
			sf.Type, sf.Fields = t.Name(), schemaFields([]arrow.Field{t.ElemField()})
		}
		out = append(out, sf)
	}
	return out
}
