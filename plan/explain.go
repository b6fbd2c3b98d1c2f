package plan

import (
	"fmt"
	"strings"
)

// Explain renders a job's plans the way Spark's explain does: the logical plan as built,
// the optimized plan, the physical plan and its stages, one node per line with children
// indented below their parent. Nil arguments leave their section out.
func Explain(logical, optimized Node, physical PhysNode, stages []*Stage) string {
	var b strings.Builder
	if logical != nil {
		b.WriteString("== Logical Plan ==\n")
		b.WriteString(FormatLogical(logical))
	}
	if optimized != nil {
		b.WriteString("== Optimized Plan ==\n")
		b.WriteString(FormatLogical(optimized))
	}
	if physical != nil {
		b.WriteString("== Physical Plan ==\n")
		b.WriteString(FormatPhysical(physical))
	}
	if stages != nil {
		b.WriteString("== Stages ==\n")
		b.WriteString(FormatStages(stages))
	}
	return b.String()
}

// FormatLogical renders a logical plan as an indented tree, one node per line.
func FormatLogical(n Node) string {
	var b strings.Builder
	writeTree(&b, "", func(x any) (string, []any) {
		n := x.(Node)
		ch := n.Children()
		out := make([]any, len(ch))
		for i, c := range ch {
			out[i] = c
		}
		return n.Describe(), out
	}, n)
	return b.String()
}

// FormatPhysical renders a physical plan as an indented tree, one operator per line.
//
// An exchange met a second time (one ReuseExchanges shared) prints as ReusedExchange
// without its input, which is printed where it was met first.
func FormatPhysical(n PhysNode) string {
	var b strings.Builder
	seen := map[*PExchange]bool{}
	writeTree(&b, "", func(x any) (string, []any) {
		if ex, ok := x.(*PExchange); ok {
			if seen[ex] {
				return "ReusedExchange " + ex.Partitioning.String() + " (reused)", nil
			}
			seen[ex] = true
		}
		return physLine(x)
	}, n)
	return b.String()
}

// FormatStages renders each stage's header, e.g.
// "Stage 1 (4 tasks) → shuffle hash[region, day] x 8", followed by its pipeline.
func FormatStages(stages []*Stage) string {
	var b strings.Builder
	for _, s := range stages {
		fmt.Fprintf(&b, "Stage %d (%d %s) → ", s.ID, s.NumPartitions(), plural(s.NumPartitions(), "task", "tasks"))
		if s.Output != nil {
			b.WriteString("shuffle " + s.Output.String())
		} else {
			b.WriteString("result")
		}
		if len(s.Parents) > 0 {
			ids := make([]string, len(s.Parents))
			for i, p := range s.Parents {
				ids[i] = fmt.Sprint(p)
			}
			b.WriteString(" (reads stage " + strings.Join(ids, ", ") + ")")
		}
		b.WriteByte('\n')
		writeTree(&b, "  ", physLine, s.Root)
	}
	return b.String()
}

// FormatStage renders one stage's pipeline as an indented tree, one operator per line,
// without a header.
func FormatStage(s *Stage) string {
	var b strings.Builder
	writeTree(&b, "", physLine, s.Root)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func physLine(x any) (string, []any) {
	n := x.(PhysNode)
	ch := n.Children()
	out := make([]any, len(ch))
	for i, c := range ch {
		out[i] = c
	}
	return n.Describe(), out
}

// writeTree prints a tree with Spark's markers: "+- " before the last child of a node and
// ":- " before the others, with ":  " continuing the line of an unfinished sibling list.
// It walks with an explicit stack so deep plans print without deep recursion.
func writeTree(b *strings.Builder, indent string, visit func(any) (string, []any), root any) {
	type item struct {
		node   any
		prefix string // printed before the marker
		marker string
	}
	stack := []item{{node: root, prefix: indent}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		line, children := visit(it.node)
		b.WriteString(it.prefix + it.marker + line + "\n")
		childPrefix := it.prefix
		switch it.marker {
		case "+- ":
			childPrefix += "   "
		case ":- ":
			childPrefix += ":  "
		}
		for i := len(children) - 1; i >= 0; i-- {
			marker := ":- "
			if i == len(children)-1 {
				marker = "+- "
			}
			stack = append(stack, item{node: children[i], prefix: childPrefix, marker: marker})
		}
	}
}
