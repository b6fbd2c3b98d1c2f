package eval

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// Common subexpressions. A projection often repeats a computation across its columns:
// TPC-H Q1 sums price × (1 − discount) and price × (1 − discount) × (1 + tax), so the
// first product is a subtree of both. As in Spark's and DataFusion's common
// subexpression elimination, such a subtree is computed once per batch: the projection
// finds, when it is built, every computed subtree (an operator, cast or function call,
// not a column or literal) that occurs more than once across its expressions, and its
// evaluator keeps the value of each the first time it is computed in a batch and hands
// out references to it after that. User functions, which may not be deterministic, are
// never shared, nor is anything above them.

// evShared maps each occurrence of a repeated subtree to its slot in a batch's memo.
type evShared map[plan.Expr]int

// evSharedSubexprs finds the computed subtrees that occur more than once in exprs
// (equal by their text and their literals' types); nil when there are none.
func evSharedSubexprs(exprs []plan.Expr) evShared {
	if !evMayShare(exprs) {
		return nil
	}
	byKey := map[string][]plan.Expr{}
	var keys []string
	var walk func(e plan.Expr) (string, bool)
	walk = func(e plan.Expr) (string, bool) {
		if e == nil {
			return "", false
		}
		if _, udf := e.(*plan.UDFCall); udf {
			return "", false
		}
		ok := true
		var sb strings.Builder
		for _, c := range e.Children() {
			k, cok := walk(c)
			ok = ok && cok
			sb.WriteString(k)
			sb.WriteByte('\x00')
		}
		switch e := e.(type) {
		case *plan.Literal:
			if e.Type != nil {
				return e.String() + ":" + e.Type.String(), true
			}
			return e.String(), true
		case *plan.Binary, *plan.Unary, *plan.Cast, *plan.Call:
			if !ok {
				return "", false
			}
			key := e.String() + "\x01" + sb.String()
			if len(byKey[key]) == 0 {
				keys = append(keys, key)
			}
			byKey[key] = append(byKey[key], e)
			return key, true
		case *plan.ColumnRef, *plan.Alias:
			return e.String() + "\x01" + sb.String(), ok
		}
		return "", false
	}
	for _, e := range exprs {
		walk(e)
	}
	var out evShared
	for _, k := range keys {
		if occ := byKey[k]; len(occ) > 1 {
			if out == nil {
				out = evShared{}
			}
			slot := len(out)
			for _, e := range occ {
				if _, seen := out[e]; !seen {
					out[e] = slot
				}
			}
		}
	}
	return out
}

// evMemo holds one batch's values of the shared subtrees, by slot.
type evMemo struct {
	shared evShared
	vals   map[int]evValue
}

// lookup returns a new reference to the value of e computed earlier in this batch.
func (m *evMemo) lookup(e plan.Expr) (evValue, int, bool) {
	if m == nil {
		return evValue{}, -1, false
	}
	switch e.(type) {
	case *plan.Binary, *plan.Unary, *plan.Cast, *plan.Call: // comparable pointers
	default:
		return evValue{}, -1, false
	}
	slot, ok := m.shared[e]
	if !ok {
		return evValue{}, -1, false
	}
	v, ok := m.vals[slot]
	if !ok {
		return evValue{}, slot, false
	}
	v.retain()
	return v, slot, true
}

// store keeps a reference to v as the value of slot for the rest of the batch.
func (m *evMemo) store(slot int, v evValue) {
	if m.vals == nil {
		m.vals = map[int]evValue{}
	}
	v.retain()
	m.vals[slot] = v
}

// release drops the batch's values.
func (m *evMemo) release() {
	for k, v := range m.vals {
		v.release()
		delete(m.vals, k)
	}
}

var evShapeSeed = maphash.MakeSeed()

// evMayShare reports whether two computed subtrees of exprs have the same shape (node
// kinds, operators, function names, columns, literal types; not literal values): a
// cheap test, without allocating per node, that rules out sharing for most projections
// before evSharedSubexprs compares texts.
func evMayShare(exprs []plan.Expr) bool {
	hs := make([]uint64, 0, 16)
	var walk func(e plan.Expr) uint64
	walk = func(e plan.Expr) uint64 {
		var h uint64
		switch e := e.(type) {
		case *plan.ColumnRef:
			return maphash.String(evShapeSeed, e.Name)
		case *plan.Literal:
			if e.Type != nil {
				return uint64(e.Type.ID())*0x9e3779b97f4a7c15 + 1
			}
			return 1
		case *plan.Alias:
			return walk(e.Child)
		case *plan.Binary:
			h = uint64(e.Op) + 2
		case *plan.Unary:
			h = uint64(e.Op)<<8 + 3
		case *plan.Cast:
			h = uint64(e.To.ID())<<8 + 4
		case *plan.Call:
			h = maphash.String(evShapeSeed, e.Func)
		default:
			return 5
		}
		for _, c := range e.Children() {
			h = (h ^ walk(c)) * 0x100000001b3
		}
		hs = append(hs, h)
		return h
	}
	for _, e := range exprs {
		walk(e)
	}
	if len(hs) < 2 {
		return false
	}
	slices.Sort(hs)
	for i := 1; i < len(hs); i++ {
		if hs[i] == hs[i-1] {
			return true
		}
	}
	return false
}
