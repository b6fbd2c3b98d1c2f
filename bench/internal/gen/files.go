package gen

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// WriteParquet writes the batches of parts, in order, to one Parquet file (snappy, row
// groups of at most rowGroupRows rows, the Arrow schema stored). String columns should be
// plain utf8: DuckDB and other readers then see VARCHAR.
func WriteParquet(path string, schema *arrow.Schema, parts [][]arrow.RecordBatch, rowGroupRows int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)), parquet.WithDictionaryDefault(true))
	// The file writer owns f from here: its Close closes f.
	w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return fmt.Errorf("gen: parquet writer for %s: %w", path, err)
	}
	for _, p := range parts {
		for _, b := range p {
			if err := w.WriteBuffered(b); err != nil {
				w.Close()
				return fmt.Errorf("gen: writing %s: %w", path, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("gen: closing %s: %w", path, err)
	}
	return nil
}

// WriteCSV writes the batches of parts, in order, to one CSV file with a header. It
// handles the column types of this package's tables: int64, float64, utf8 and
// dictionary<int32, utf8>. No value needs quoting.
func WriteCSV(path string, schema *arrow.Schema, parts [][]arrow.RecordBatch) error {
	return writeCSV(path, schema, func(w *bufio.Writer) error {
		var line []byte
		var err error
		for _, p := range parts {
			for _, b := range p {
				for r := 0; r < int(b.NumRows()); r++ {
					line = line[:0]
					for c := 0; c < int(b.NumCols()); c++ {
						if c > 0 {
							line = append(line, ',')
						}
						if line, err = appendCell(line, b.Column(c), r); err != nil {
							return fmt.Errorf("column %s: %w", schema.Field(c).Name, err)
						}
					}
					w.Write(append(line, '\n'))
				}
			}
		}
		return nil
	})
}

// writeCSV creates path and writes the header of schema, then the rows that rows writes.
func writeCSV(path string, schema *arrow.Schema, rows func(w *bufio.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("gen: closing %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	for i, fld := range schema.Fields() {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(fld.Name)
	}
	w.WriteByte('\n')
	if err := rows(w); err != nil {
		return fmt.Errorf("gen: writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("gen: writing %s: %w", path, err)
	}
	return nil
}

func appendCell(dst []byte, a arrow.Array, i int) ([]byte, error) {
	if a.IsNull(i) {
		return dst, nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(i), 10), nil
	case *array.Float64:
		return strconv.AppendFloat(dst, a.Value(i), 'f', -1, 64), nil
	case *array.String:
		return append(dst, a.Value(i)...), nil
	case *array.Dictionary:
		return appendCell(dst, a.Dictionary(), a.GetValueIndex(i))
	}
	return dst, fmt.Errorf("unsupported type %s", a.DataType())
}

// WriteCSV writes the table to path as CSV with a header, straight from its columns: the
// same text WriteCSV of its Batches gives, without building the table in Arrow first (at
// 1e8 rows that copy alone would be several GiB).
func (g *GroupBy) WriteCSV(path string) error {
	return writeCSV(path, GroupBySchema(false), func(w *bufio.Writer) error {
		line := make([]byte, 0, 128)
		for r := 0; r < g.N; r++ {
			line = append(line[:0], g.Levels12[g.ID1[r]]...)
			line = append(append(line, ','), g.Levels12[g.ID2[r]]...)
			line = append(append(line, ','), g.Levels3[g.ID3[r]]...)
			for _, c := range [][]int64{g.ID4, g.ID5, g.ID6, g.V1, g.V2} {
				line = strconv.AppendInt(append(line, ','), c[r], 10)
			}
			line = strconv.AppendFloat(append(line, ','), g.V3[r], 'f', -1, 64)
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}
