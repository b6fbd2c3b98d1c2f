package plan

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// givenSource is a fakeSource whose partitions are the caller's own.
type givenSource struct{ fakeSource }

func (*givenSource) GivenPartitions() bool { return true }

func sizedScan(src Source, sizes ...int64) *PScan {
	parts := make([]ScanPartition, len(sizes))
	for i, b := range sizes {
		parts[i] = sizedPart{fakePart(i), b}
	}
	return &PScan{Source: src, Parts: parts, OutSchema: salesSchema}
}

// members lists the fake partitions each of the scan's partitions reads.
func members(s *PScan) [][]int {
	var out [][]int
	for _, p := range s.Parts {
		var ids []int
		if g, ok := p.(*groupedPartition); ok {
			for _, q := range g.parts {
				ids = append(ids, int(q.(sizedPart).fakePart))
			}
		} else {
			ids = append(ids, int(p.(sizedPart).fakePart))
		}
		out = append(out, ids)
	}
	return out
}

// TestGroupMapScans: a map stage's scan of given partitions is cut into runs of
// consecutive partitions of about equal bytes; scans of engine-sized sources, scans that
// a result stage also reads, and scans under operators other than filters, projections
// and partial aggregates keep one task per partition.
func TestGroupMapScans(t *testing.T) {
	given := &givenSource{fakeSource{name: "mem", schema: salesSchema}}
	sized := &fakeSource{name: "file", schema: salesSchema}
	hash := Partitioning{Kind: HashPartitioning, Keys: []string{"region"}, N: 8}
	exchange := func(in PhysNode) *PExchange { return &PExchange{Input: in, Partitioning: hash} }

	s := sizedScan(given, 1, 1, 1, 1, 10, 1, 1, 1, 1, 2)
	groupMapScans(exchange(&PHashAggregate{Mode: AggPartial, Input: &PFilter{Input: s, Cond: lit(true)}}), 2)
	if got, want := members(s), [][]int{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("grouped %v, want %v", got, want)
	}
	if s.Note != "10 given partitions read by 2 map tasks" {
		t.Errorf("note %q", s.Note)
	}
	if b := s.Parts[0].EstimatedBytes() + s.Parts[1].EstimatedBytes(); b != 20 {
		t.Errorf("grouped bytes %d, want 20", b)
	}

	partial := func(in PhysNode) PhysNode { return &PHashAggregate{Mode: AggPartial, Input: in} }
	for name, tc := range map[string]struct {
		root  func(s *PScan) PhysNode
		src   Source
		tasks int
	}{
		"engine-sized source":  {func(s *PScan) PhysNode { return exchange(partial(s)) }, sized, 2},
		"fewer partitions":     {func(s *PScan) PhysNode { return exchange(partial(s)) }, given, 4},
		"no aggregate (joins)": {func(s *PScan) PhysNode { return exchange(&PFilter{Input: s, Cond: lit(true)}) }, given, 2},
		"result stage too": {func(s *PScan) PhysNode {
			return &PUnion{Inputs: []PhysNode{&PShuffleRead{Partitioning: hash}, s, exchange(partial(s))}}
		}, given, 2},
		"final aggregate": {func(s *PScan) PhysNode {
			return exchange(&PHashAggregate{Mode: AggFinal, Input: s})
		}, given, 2},
		"range exchange": {func(s *PScan) PhysNode {
			return &PExchange{Input: partial(s), Partitioning: Partitioning{Kind: RangePartitioning, N: 4}}
		}, given, 2},
	} {
		s := sizedScan(tc.src, 1, 1, 1, 1)
		groupMapScans(tc.root(s), tc.tasks)
		if len(s.Parts) != 4 || s.Note != "" {
			t.Errorf("%s: %d partitions (%q), want the 4 given", name, len(s.Parts), s.Note)
		}
	}
}

// listPart is a partition of fixed batches (nil batches: Open fails).
type listPart struct {
	rows []int64
	fail bool
}

func (p listPart) String() string        { return "list" }
func (p listPart) EstimatedBytes() int64 { return int64(8 * len(p.rows)) }
func (p listPart) Open(context.Context, memory.Allocator) (BatchIterator, error) {
	if p.fail {
		return nil, errors.New("open failed")
	}
	return &listIter{rows: p.rows}, nil
}

type listIter struct{ rows []int64 }

func (it *listIter) Next() (arrow.RecordBatch, error) {
	if len(it.rows) == 0 {
		return nil, io.EOF
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Append(it.rows[0])
	it.rows = it.rows[1:]
	a := b.NewArray()
	defer a.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{a}, 1), nil
}

func (it *listIter) Close() error { return nil }

// TestGroupedPartitionReadsInOrder: a grouped partition yields its members' batches in
// order, skipping empty ones, and reports a member that fails to open.
func TestGroupedPartitionReadsInOrder(t *testing.T) {
	g := groupOf([]ScanPartition{listPart{rows: []int64{1, 2}}, listPart{}, listPart{rows: []int64{3}}})
	it, err := g.Open(context.Background(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Column(0).(*array.Int64).Value(0))
		b.Release()
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("read %v, want [1 2 3]", got)
	}
	bad := groupOf([]ScanPartition{listPart{rows: []int64{1}}, listPart{fail: true}})
	it, err = bad.Open(context.Background(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if b, err := it.Next(); err != nil {
		t.Fatal(err)
	} else {
		b.Release()
	}
	if _, err := it.Next(); err == nil || err.Error() != "open failed" {
		t.Errorf("second member's open error: %v", err)
	}
}
