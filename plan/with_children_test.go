package plan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// everyPhysNode returns one value of each physical node type, with distinct leaves as
// inputs. TestPhysWithChildrenCoversEveryNode keeps the list complete.
func everyPhysNode() []PhysNode {
	leaf := func(name string) PhysNode {
		return &PScan{Source: &fakeSource{name: name, schema: salesSchema}, Parts: []ScanPartition{fakePart(0)}, OutSchema: salesSchema}
	}
	a, b := leaf("a"), leaf("b")
	return []PhysNode{
		leaf("scan"),
		&PShuffleRead{ShuffleID: 3, Partitioning: Partitioning{Kind: SinglePartition, N: 1}, OutSchema: salesSchema},
		&PCacheRead{DatasetID: 7, Partitions: 2, OutSchema: salesSchema},
		&PFilter{Input: a, Cond: col("ok")},
		&PProject{Input: a, Exprs: []Expr{col("region")}, OutSchema: salesSchema},
		&PHashAggregate{Input: a, Keys: []string{"region"}, Mode: AggPartial, OutSchema: salesSchema},
		&PExchange{Input: a, Partitioning: Partitioning{Kind: HashPartitioning, Keys: []string{"region"}, N: 4}},
		&PLimit{Input: a, N: 5},
		&PUnion{Inputs: []PhysNode{a, b, a}, OutSchema: salesSchema},
		&PCoalesce{Input: a, N: 1},
		&PMapBatches{Input: a, Fn: identityBatch, Name: "id", OutSchema: salesSchema},
		&PMapPartitions{Input: a, Fn: identityPartition, Name: "id", OutSchema: salesSchema},
		&PSample{Input: a, Lower: 0.25, Upper: 0.5, Seed: 3},
		&PExplode{Input: a, Column: "region", OutSchema: salesSchema},
		&PExpand{Input: a, Projections: [][]Expr{{col("region")}}, OutSchema: salesSchema},
		&PSort{Input: a, Keys: []SortKey{{Column: "amount"}}, Limit: 3},
		&PCache{Input: a, DatasetID: 9},
		&PHashJoin{Left: a, Right: b, LeftKeys: []string{"region"}, RightKeys: []string{"region"}, Kind: InnerJoin, OutSchema: salesSchema},
		&PAsOfJoin{Left: a, Right: b, On: "amount", By: []string{"region"}, OutSchema: salesSchema},
		&PWindow{Input: a, PartitionBy: []string{"region"}, OutSchema: salesSchema},
		&PWindowGroupLimit{Input: a, PartitionBy: []string{"region"}, Func: WinRowNumber, Limit: 1},
	}
}

func goTypeName(v any) string { return reflect.TypeOf(v).Elem().Name() }

// nodeTypesInSource lists the types of the package's non-test files that have a Children
// method returning []elem: every physical node type for PhysNode, every logical one for
// Node.
func nodeTypesInSource(t *testing.T, elem string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Children" || fd.Type.Results == nil {
				continue
			}
			res, ok := fd.Type.Results.List[0].Type.(*ast.ArrayType)
			if !ok || res.Elt.(*ast.Ident).Name != elem {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				out = append(out, star.X.(*ast.Ident).Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestPhysWithChildrenCoversEveryNode(t *testing.T) {
	var listed []string
	for _, n := range everyPhysNode() {
		listed = append(listed, goTypeName(n))
	}
	sort.Strings(listed)
	if src := nodeTypesInSource(t, "PhysNode"); !slices.Equal(listed, src) {
		t.Fatalf("everyPhysNode lists %v, the package defines %v", listed, src)
	}
}

func TestPhysWithChildrenRoundTrip(t *testing.T) {
	for _, n := range everyPhysNode() {
		name := goTypeName(n)
		old := n.Children()
		oldDesc := n.Describe()
		same := n.WithChildren(slices.Clone(old))
		if reflect.TypeOf(same) != reflect.TypeOf(n) || same.Describe() != oldDesc || !slices.Equal(same.Children(), old) {
			t.Errorf("%s: WithChildren(Children()) = %s %v, want %s %v", name, same.Describe(), same.Children(), oldDesc, old)
		}
		if len(old) == 0 {
			if same != n {
				t.Errorf("%s: a leaf's WithChildren(nil) should return the leaf itself", name)
			}
			mustPanic(t, name+" with one child", func() { n.WithChildren([]PhysNode{n}) })
			continue
		}
		fresh := make([]PhysNode, len(old))
		for i := range fresh {
			fresh[i] = &PShuffleRead{ShuffleID: 100 + i, Partitioning: Partitioning{Kind: SinglePartition, N: 1}, OutSchema: salesSchema}
		}
		m := n.WithChildren(fresh)
		if m == n {
			t.Errorf("%s: WithChildren modified the node instead of copying it", name)
		}
		if !slices.Equal(m.Children(), fresh) {
			t.Errorf("%s: children %v after WithChildren(%v)", name, m.Children(), fresh)
		}
		if !slices.Equal(n.Children(), old) {
			t.Errorf("%s: WithChildren changed the original's children", name)
		}
		if m.Describe() != oldDesc {
			t.Errorf("%s: WithChildren changed the node: %q, was %q", name, m.Describe(), oldDesc)
		}
		mustPanic(t, name+" with one child too many", func() { n.WithChildren(append(slices.Clone(old), old[0])) })
		mustPanic(t, name+" with no children", func() { n.WithChildren(nil) })
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

// everyLogicalNode returns one value of each logical node type, with distinct scans as
// inputs.
func everyLogicalNode() []Node {
	a, b := salesScan(1), pruningScan(2)
	return []Node{
		salesScan(3),
		&Project{Input: a, Exprs: []Expr{col("region")}},
		&Filter{Input: a, Cond: col("ok")},
		&Aggregate{Input: a, Keys: []string{"region"}},
		&Limit{Input: a, N: 3},
		&Union{Inputs: []Node{a, b}},
		&Repartition{Input: a, N: 4},
		&Coalesce{Input: a, N: 1},
		&MapBatches{Input: a, Fn: identityBatch, Name: "id"},
		&MapPartitions{Input: a, Fn: identityPartition, Name: "id"},
		&Sample{Input: a, Upper: 0.5, Seed: 3},
		&Explode{Input: a, Column: "region"},
		&Expand{Input: a, Projections: [][]Expr{{col("region")}}, Names: []string{"region"}},
		&Join{Left: a, Right: b, LeftKeys: on("region"), RightKeys: on("region")},
		&AsOfJoin{Left: a, Right: b, On: "amount", By: on("region")},
		&Broadcast{Input: a},
		&Sort{Input: a, Keys: []SortKey{{Column: "amount"}}},
		&Cache{Input: a, DatasetID: 2},
		&WithColumns{Input: a, Exprs: []Expr{col("region")}},
		&Drop{Input: a, Columns: []string{"ok"}},
		&Rename{Input: a, From: "ok", To: "fine"},
		&Distinct{Input: a},
		&Window{Input: a, PartitionBy: []string{"region"}},
	}
}

func TestLogicalWithChildrenRoundTrip(t *testing.T) {
	var listed []string
	for _, n := range everyLogicalNode() {
		listed = append(listed, goTypeName(n))
	}
	sort.Strings(listed)
	if src := nodeTypesInSource(t, "Node"); !slices.Equal(listed, src) {
		t.Fatalf("everyLogicalNode lists %v, the package defines %v", listed, src)
	}
	for _, n := range everyLogicalNode() {
		name := goTypeName(n)
		old := n.Children()
		same := n.WithChildren(slices.Clone(old))
		if same.Describe() != n.Describe() || !slices.Equal(same.Children(), old) {
			t.Errorf("%s: WithChildren(Children()) = %s %v", name, same.Describe(), same.Children())
		}
		if len(old) == 0 {
			continue
		}
		fresh := make([]Node, len(old))
		for i := range fresh {
			fresh[i] = salesScan(10 + i)
		}
		m := n.WithChildren(fresh)
		if !slices.Equal(m.Children(), fresh) || !slices.Equal(n.Children(), old) || m.Describe() != n.Describe() {
			t.Errorf("%s: WithChildren(%v) gave %s %v, original now %v", name, fresh, m.Describe(), m.Children(), n.Children())
		}
	}
}
