package plan

import (
	"slices"
)

// Split cuts a physical plan into stages at its exchanges. Each exchange becomes a map
// stage whose Root is the exchange's input, with the exchanges below it replaced by
// PShuffleRead leaves; in the consumer the exchange itself is replaced by a PShuffleRead
// of that stage's shuffle. Stages come in dependency order (every stage after the stages
// it reads), numbered from 1 in that order; the last is the result stage (Output nil).
//
// Split does no I/O and uses an explicit stack, so lineages thousands of operators deep
// do not exhaust the goroutine stack. An exchange node that appears twice in the tree (a
// shared subplan) becomes one stage.
func Split(root PhysNode) []*Stage {
	if root == nil {
		return nil
	}
	type frame struct {
		node     PhysNode
		children []PhysNode
		next     int        // index of the next child to visit
		out      []PhysNode // rebuilt children
		parents  []int      // shuffles read by the subtree, up to exchanges
	}
	var stages []*Stage
	done := map[*PExchange]*PShuffleRead{}
	stack := []*frame{{node: root, children: root.Children()}}
	var result PhysNode
	var resultParents []int
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		if f.next < len(f.children) {
			c := f.children[f.next]
			f.next++
			if ex, ok := c.(*PExchange); ok {
				if read, seen := done[ex]; seen {
					reused := *read
					reused.Reused = true
					f.out = append(f.out, &reused)
					f.parents = addParent(f.parents, read.ShuffleID)
					continue
				}
			}
			stack = append(stack, &frame{node: c, children: c.Children()})
			continue
		}
		stack = stack[:len(stack)-1]
		var built PhysNode
		parents := f.parents
		if ex, ok := f.node.(*PExchange); ok {
			id := len(stages) + 1
			part := ex.Partitioning
			stages = append(stages, &Stage{ID: id, Root: f.out[0], Output: &part, ShuffleID: id, Parents: sortedParents(f.parents)})
			read := &PShuffleRead{ShuffleID: id, Partitioning: ex.Partitioning, OutSchema: ex.Schema()}
			done[ex] = read
			built, parents = read, []int{id}
		} else {
			built = rewire(f.node, f.out)
		}
		if len(stack) == 0 {
			result, resultParents = built, parents
			break
		}
		p := stack[len(stack)-1]
		p.out = append(p.out, built)
		for _, id := range parents {
			p.parents = addParent(p.parents, id)
		}
	}
	stages = append(stages, &Stage{ID: len(stages) + 1, Root: result, Parents: sortedParents(resultParents)})
	return stages
}

func addParent(ids []int, id int) []int {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

func sortedParents(ids []int) []int {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// rewire returns n reading ch, or n itself when ch are its inputs already, so that a
// stage without exchanges below it keeps the caller's nodes.
func rewire(n PhysNode, ch []PhysNode) PhysNode {
	if slices.Equal(n.Children(), ch) {
		return n
	}
	return n.WithChildren(ch)
}
