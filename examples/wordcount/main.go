// Command wordcount is the classic first job: split lines into words, count each word,
// and show the most frequent ones.
//
//	go run ./examples/wordcount
//
// The text is generated deterministically in memory (words drawn with a skewed,
// Zipf-like frequency), split into partitions, and the counts are checked against a
// plain Go map.
package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

var vocabulary = strings.Fields(`the quick brown fox jumps over lazy dog spark arrow go kindling
	partition shuffle stage task memory cache spill disk batch column row join sort group`)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	s, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		return err
	}
	defer s.Close()

	lines, want := generate(8, 5000)
	defer func() {
		for _, r := range lines {
			r.Release()
		}
	}()

	wordSchema := arrow.NewSchema([]arrow.Field{{Name: "word", Type: arrow.BinaryTypes.String}}, nil)
	counts := s.FromRecords(lines...).
		MapBatches("split-words", wordSchema, splitWords).
		Filter(dataset.Length(dataset.Col("word")).Gt(dataset.Lit(0))).
		WithColumn("word", dataset.Lower(dataset.Col("word"))).
		GroupBy("word").
		Count()

	fmt.Println(counts.Explain())
	if err := counts.Show(ctx, 5); err != nil {
		return err
	}
	recs, err := counts.Collect(ctx)
	if err != nil {
		return err
	}
	got := map[string]int64{}
	for _, r := range recs {
		words, n := r.Column(0).(*array.String), r.Column(1).(*array.Int64)
		for i := 0; i < int(r.NumRows()); i++ {
			got[words.Value(i)] = n.Value(i)
		}
		r.Release()
	}
	type wc struct {
		word  string
		count int64
	}
	var top []wc
	for w, c := range got {
		top = append(top, wc{w, c})
	}
	sort.Slice(top, func(i, j int) bool {
		return top[i].count > top[j].count || top[i].count == top[j].count && top[i].word < top[j].word
	})
	fmt.Println("top words (kindling / plain Go map):")
	for _, t := range top[:min(10, len(top))] {
		fmt.Printf("  %-10s %6d / %6d\n", t.word, t.count, want[t.word])
	}
	for w, c := range want {
		if got[w] != c {
			return fmt.Errorf("wordcount: %q counted %d, want %d", w, got[w], c)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("wordcount: %d distinct words, want %d", len(got), len(want))
	}
	fmt.Printf("all %d distinct words match\n\n", len(want))
	fmt.Println(s.LastJob())
	return nil
}

// splitWords turns a batch of lines into a batch of words: a MapBatches function works on
// whole Arrow batches and allocates its output with the engine's accounted allocator.
func splitWords(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	lines := in.Column(0).(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < lines.Len(); i++ {
		if lines.IsNull(i) {
			continue
		}
		for _, w := range strings.FieldsFunc(lines.Value(i), func(r rune) bool { return r == ' ' || r == ',' || r == '.' }) {
			b.Append(w)
		}
	}
	words := b.NewArray()
	defer words.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "word", Type: arrow.BinaryTypes.String}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{words}, int64(words.Len())), nil
}

// generate makes parts batches of lines of text, and the true count of each word.
func generate(parts, linesPerPart int) ([]arrow.RecordBatch, map[string]int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(len(vocabulary)-1))
	want := map[string]int64{}
	schema := arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String}}, nil)
	var recs []arrow.RecordBatch
	for p := 0; p < parts; p++ {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		for l := 0; l < linesPerPart; l++ {
			words := make([]string, 3+rng.IntN(8))
			for i := range words {
				w := vocabulary[zipf.Uint64()]
				if rng.IntN(10) == 0 {
					w = strings.ToUpper(w[:1]) + w[1:] // capitalised: the job lower-cases
				}
				words[i] = w
				want[strings.ToLower(w)]++
			}
			b.Append(strings.Join(words, " ") + ".")
		}
		col := b.NewArray()
		recs = append(recs, array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len())))
		col.Release()
		b.Release()
	}
	return recs, want
}
