package plan

import (
	"fmt"
	"reflect"
	"strings"
)

// Reusing exchanges (Spark's ReuseExchange). A job whose plan computes the same subtree
// twice up to an exchange (a self-join of a filtered table, a total and its per-group
// parts over one join, a view read twice) would run the map stages under both copies.
// ReuseExchanges makes every exchange that computes the same rows as an earlier one the
// same node, so that Split turns both into one stage and both consumers read its map
// output (the scheduler keeps a shuffle read twice until the job ends, and adaptive
// execution counts its reads). Explain prints the later copies as ReusedExchange.
//
// Two subtrees compute the same rows when they are the same operators with the same
// settings over the same inputs: nodes of one type, equal in every field but their
// inputs, with inputs that are the same rows in turn, down to leaves reading the same
// source (by identity) or the same cached dataset. A field that cannot be compared (a
// function value) never matches another, so such subtrees are not merged. Expressions
// are deterministic (a UDF is assumed so, as in Spark), so equal subtrees compute equal
// rows.

// ReuseExchanges returns root with each exchange that repeats an earlier one (in
// post-order, inputs before consumers) replaced by it; root itself when none repeats.
func ReuseExchanges(root PhysNode) PhysNode {
	if root == nil {
		return nil
	}
	r := &reuser{class: map[PhysNode]int{}, byKey: map[string][]PhysNode{}, done: map[PhysNode]PhysNode{}, exchanges: map[int]*PExchange{}}
	return r.rewrite(root)
}

type reuser struct {
	// class numbers the equivalence class of each node seen (same rows, same order).
	class map[PhysNode]int
	// byKey lists, for each cheap fingerprint, the representative nodes of its classes.
	byKey map[string][]PhysNode
	// done holds the rewritten form of each node visited.
	done map[PhysNode]PhysNode
	// exchanges holds the first exchange of each class.
	exchanges map[int]*PExchange
}

// rewrite returns n with its inputs rewritten and n replaced by the first exchange of
// its class when it is a repeated exchange.
func (r *reuser) rewrite(n PhysNode) PhysNode {
	if out, ok := r.done[n]; ok {
		return out
	}
	ch := n.Children()
	out := n
	if len(ch) > 0 {
		nc := make([]PhysNode, len(ch))
		changed := false
		for i, c := range ch {
			nc[i] = r.rewrite(c)
			changed = changed || nc[i] != c
		}
		if changed {
			out = n.WithChildren(nc)
		}
	}
	id := r.classify(out)
	if ex, ok := out.(*PExchange); ok && id >= 0 {
		if first, seen := r.exchanges[id]; seen {
			out = first
		} else {
			r.exchanges[id] = ex
		}
	}
	r.done[n] = out
	return out
}

// classify returns n's equivalence class (its inputs classified already), or -1 when n
// computes rows that no other node may stand for.
func (r *reuser) classify(n PhysNode) int {
	if id, ok := r.class[n]; ok {
		return id
	}
	id := -1
	if key, ok := r.fingerprint(n); ok {
		for _, rep := range r.byKey[key] {
			if sameFields(n, rep) {
				id = r.class[rep]
				break
			}
		}
		if id < 0 {
			id = len(r.class)
			r.byKey[key] = append(r.byKey[key], n)
		}
	}
	r.class[n] = id
	return id
}

// fingerprint is a cheap key that equal nodes share: the node's type, its description
// and schema, and its inputs' classes. ok is false when an input has no class.
func (r *reuser) fingerprint(n PhysNode) (string, bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "%T|%s|%v|%d", n, n.Describe(), n.Schema(), n.NumPartitions())
	for _, c := range n.Children() {
		id, ok := r.class[c]
		if !ok || id < 0 {
			return "", false
		}
		fmt.Fprintf(&b, "|%d", id)
	}
	return b.String(), true
}

var (
	physNodeType = reflect.TypeFor[PhysNode]()
	sourceType   = reflect.TypeFor[Source]()
)

// sameFields reports whether a and b (of equal fingerprints, so of one type over inputs
// of the same classes) are equal in every field but their inputs: a Source by identity,
// everything else deeply equal.
func sameFields(a, b PhysNode) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	if va.Kind() == reflect.Pointer {
		if va.Pointer() == vb.Pointer() {
			return true
		}
		va, vb = va.Elem(), vb.Elem()
	}
	if va.Kind() != reflect.Struct {
		return false
	}
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		t := fa.Type()
		switch {
		case t == physNodeType || (t.Kind() == reflect.Slice && t.Elem() == physNodeType):
			// inputs: compared by class in the fingerprint
		case t == sourceType:
			if fa.IsNil() || fb.IsNil() || !fa.Elem().Type().Comparable() || fa.Interface() != fb.Interface() {
				return false
			}
		case !fa.CanInterface():
			return false
		default:
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				return false
			}
		}
	}
	return true
}
