package beam

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	abeam "github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/kindling-data/kindling/dataset"
)

// translate adds the job's stages to the pipeline, in dependency order.
// A write action's result stage writes the output's files instead (writeSpec).
func translate(s abeam.Scope, u *dataset.Units, ref jobRef, dir sharedDir, write writeSpec, expectDir sharedDir) error {
	outs := map[int]abeam.PCollection{} // KV<reduce partition, block> of each map stage
	for i, st := range u.Stages {
		ss := s.Scope(fmt.Sprintf("kindling stage %d", st.ID))
		grouped, broadcast, err := stageInput(ss, st, outs)
		if err != nil {
			return err
		}
		none := abeam.CreateList(ss, [][]byte{})
		bounds := none
		if st.Output == dataset.OutputRange {
			sample := &stageFn{Ref: ref, Stage: st.ID, Mode: modeSample}
			samples := abeam.ParDo(ss, sample, grouped, abeam.SideInput{Input: broadcast}, abeam.SideInput{Input: none})
			bounds = abeam.ParDo(ss, &boundsFn{Ref: ref, Stage: st.ID}, abeam.GroupByKey(ss, samples))
		}
		fn := &stageFn{Ref: ref, Stage: st.ID, Mode: modeMap, ExpectDir: string(expectDir)}
		if i == len(u.Stages)-1 {
			if st.Output != dataset.OutputResult {
				return fmt.Errorf("beam: the last stage (%d) is not the result stage", st.ID)
			}
			fn.Mode, fn.ResultDir = modeResult, string(dir)
			if write.Format != "" {
				fn.Mode, fn.ResultDir, fn.Write = modeWrite, "", write
			}
		}
		outs[st.ID] = abeam.ParDo(ss, fn, grouped, abeam.SideInput{Input: broadcast}, abeam.SideInput{Input: bounds})
	}
	return nil
}

// stageInput is the grouped main input of a stage (its blocks under each task index, and
// an empty marker for every task) and the side input of the broadcasts it reads.
func stageInput(s abeam.Scope, st dataset.UnitStage, outs map[int]abeam.PCollection) (grouped, broadcast abeam.PCollection, err error) {
	tasks := make([]int, st.Tasks)
	for t := range tasks {
		tasks[t] = t
	}
	parts := []abeam.PCollection{abeam.ParDo(s, marker, abeam.CreateList(s, tasks))}
	routes := map[int]map[int][]int{} // shuffle → reduce partition → reading tasks
	var broadcasts []int
	for t, reads := range st.Reads {
		for _, r := range reads {
			if r.Broadcast {
				if !slices.Contains(broadcasts, r.Shuffle) {
					broadcasts = append(broadcasts, r.Shuffle)
				}
				continue
			}
			if routes[r.Shuffle] == nil {
				routes[r.Shuffle] = map[int][]int{}
			}
			routes[r.Shuffle][r.Reduce] = append(routes[r.Shuffle][r.Reduce], t)
		}
	}
	for _, sh := range slices.Sorted(maps.Keys(routes)) {
		out, ok := outs[sh]
		if !ok {
			return grouped, broadcast, fmt.Errorf("beam: stage %d reads shuffle %d before it is written", st.ID, sh)
		}
		parts = append(parts, abeam.ParDo(s, &routeFn{Routes: routes[sh]}, out))
	}
	grouped = abeam.GroupByKey(s, abeam.Flatten(s, parts...))
	var sides []abeam.PCollection
	for _, sh := range broadcasts {
		out, ok := outs[sh]
		if !ok {
			return grouped, broadcast, fmt.Errorf("beam: stage %d reads broadcast %d before it is written", st.ID, sh)
		}
		sides = append(sides, abeam.DropKey(s, out))
	}
	switch len(sides) {
	case 0:
		broadcast = abeam.CreateList(s, [][]byte{})
	case 1:
		broadcast = sides[0]
	default:
		broadcast = abeam.Flatten(s, sides...)
	}
	return grouped, broadcast, nil
}

// readParts reads the result files back in task order. A missing file means its task
// did not run: the runner lost output, which must fail rather than drop rows.
func readParts(ctx context.Context, dir sharedDir, tasks int) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	fail := func(err error) ([]arrow.RecordBatch, error) {
		for _, r := range out {
			r.Release()
		}
		return nil, err
	}
	mem := memory.NewGoAllocator()
	for t := range tasks {
		buf, err := dir.get(ctx, partName(t))
		if err != nil {
			return fail(fmt.Errorf("beam: result of task %d: %w", t, err))
		}
		r := bytes.NewReader(buf)
		for r.Len() > 0 {
			n, err := binary.ReadUvarint(r)
			if err != nil || n > uint64(r.Len()) || n < headerLen {
				return fail(errors.Join(fmt.Errorf("beam: result of task %d is corrupt", t), err))
			}
			blk := make([]byte, n)
			if _, err := io.ReadFull(r, blk); err != nil {
				return fail(err)
			}
			rec, err := decodeBatch(blk[headerLen:], mem)
			if err != nil {
				return fail(err)
			}
			out = append(out, rec)
		}
	}
	return out, nil
}
