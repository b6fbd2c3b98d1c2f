package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kindling-data/kindling/internal/vfs"
)

// hiveRow is a fixture row in the column order a table partitioned by k and g reads
// back in: the files' columns, then the partition columns.
func hiveRow(r testRow) []any {
	k := val(r.k)
	if r.k != nil && *r.k == "" {
		k = nil // "" and NULL share __HIVE_DEFAULT_PARTITION__
	}
	return []any{val(r.x), val(r.y), val(r.s), k, val(r.g)}
}

func TestPartitionedWriteReadsBack(t *testing.T) {
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t, partitionSizes["mixed"], Config{})
			dir := filepath.Join(t.TempDir(), "table")
			write, read := f.ds.WriteParquet, f.s.ReadParquet
			if format == "csv" {
				write, read = f.ds.WriteCSV, f.s.ReadCSV
			}
			if err := write(t.Context(), dir, PartitionedBy("k", "g")); err != nil {
				t.Fatal(err)
			}
			dirs := map[string]bool{}
			for _, r := range f.rows {
				dirs["k="+hiveText(r.k)+"/g="+hiveInt(r.g)] = true
			}
			got := partitionDirs(t, dir)
			if !slices.Equal(got, sortedKeys(dirs)) {
				t.Fatalf("partition directories %v, want %v", got, sortedKeys(dirs))
			}
			back := read(dir)
			var want [][]any
			for _, r := range f.rows {
				want = append(want, hiveRow(r))
			}
			if format == "csv" {
				for _, w := range want {
					if w[2] == "" {
						w[2] = nil // CSV reads an empty field as NULL
					}
				}
			}
			assertSameRows(t, collectRows(t, back), want)

			// Pruning: a filter on k reads only k=b's directories, and its rows are right.
			filtered := back.Filter(Col("k").Eq(Lit("b")).And(Col("g").Ge(Lit(int64(1)))))
			want = want[:0]
			keptDirs := 0
			for d := range dirs {
				if strings.HasPrefix(d, "k=b/") && d != "k=b/g=__HIVE_DEFAULT_PARTITION__" && d != "k=b/g=0" {
					keptDirs++
				}
			}
			for _, r := range f.rows {
				if r.k != nil && *r.k == "b" && r.g != nil && *r.g >= 1 {
					w := hiveRow(r)
					if format == "csv" && w[2] == "" {
						w[2] = nil
					}
					want = append(want, w)
				}
			}
			assertSameRows(t, collectRows(t, filtered), want)
			note := "partitions read: " + strconv.Itoa(keptDirs) + " of " + strconv.Itoa(len(dirs))
			if ex := filtered.Explain(); !strings.Contains(ex, note) {
				t.Fatalf("Explain does not say %q:\n%s", note, ex)
			}
			// Only partition columns, and a count: the files' columns are not needed.
			n, err := back.Select(Col("k")).Count(t.Context())
			if err != nil || n != int64(len(f.rows)) {
				t.Fatalf("count of k: %d, %v; want %d", n, err, len(f.rows))
			}
		})
	}
}

func hiveText(s *string) string {
	if s == nil || *s == "" {
		return "__HIVE_DEFAULT_PARTITION__"
	}
	return *s
}

func hiveInt(v *int64) string {
	if v == nil {
		return "__HIVE_DEFAULT_PARTITION__"
	}
	return strconv.Itoa(int(*v))
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// partitionDirs lists the leaf directories under dir, relative to it.
func partitionDirs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), "_") {
			rel, _ := filepath.Rel(dir, filepath.Dir(p))
			if !slices.Contains(out, rel) {
				out = append(out, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// filesIn maps every data file under dir (relative) to its modification time and size.
func filesIn(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), "_") {
			st, _ := d.Info()
			rel, _ := filepath.Rel(dir, p)
			out[rel] = st.ModTime().String() + "/" + strconv.Itoa(int(st.Size()))
		}
		return nil
	})
	return out
}

func TestPartitionedSaveModes(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	dir := filepath.Join(t.TempDir(), "table")
	byK := PartitionedBy("k")
	if err := f.ds.WriteParquet(t.Context(), dir, byK); err != nil {
		t.Fatal(err)
	}
	if err := f.ds.WriteParquet(t.Context(), dir, byK); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second write with the default mode: %v, want an 'exists' error", err)
	}
	count := func() int64 {
		t.Helper()
		n, err := f.s.ReadParquet(dir).Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	total := int64(len(f.rows))

	// Append adds the rows again, in new files.
	before := filesIn(t, dir)
	if err := f.ds.WriteParquet(t.Context(), dir, byK, WriteMode(ModeAppend)); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2*total {
		t.Fatalf("after append: %d rows, want %d", n, 2*total)
	}
	after := filesIn(t, dir)
	for name, stamp := range before {
		if after[name] != stamp {
			t.Fatalf("append changed %s", name)
		}
	}
	if len(after) <= len(before) {
		t.Fatalf("append added no file: %d before, %d after", len(before), len(after))
	}

	// Dynamic overwrite of k=a: its rows now once, the other partitions untouched.
	before = filesIn(t, dir)
	onlyA := f.ds.Filter(Col("k").Eq(Lit("a")))
	if err := onlyA.WriteParquet(t.Context(), dir, byK, WriteMode(ModeOverwritePartitions)); err != nil {
		t.Fatal(err)
	}
	after = filesIn(t, dir)
	var nA int64
	for _, r := range f.rows {
		if r.k != nil && *r.k == "a" {
			nA++
		}
	}
	for name, stamp := range before {
		if strings.HasPrefix(name, "k=a/") {
			if _, ok := after[name]; ok {
				t.Fatalf("overwritten partition still has %s", name)
			}
		} else if after[name] != stamp {
			t.Fatalf("dynamic overwrite of k=a changed %s", name)
		}
	}
	if n := count(); n != 2*total-nA {
		t.Fatalf("after overwriting k=a: %d rows, want %d", n, 2*total-nA)
	}
	// Appending files of another layout is refused.
	err := f.ds.WriteParquet(t.Context(), dir, WriteMode(ModeAppend))
	if err == nil || !strings.Contains(err.Error(), "is partitioned") {
		t.Fatalf("unpartitioned append to a partitioned table: %v", err)
	}
	if n := count(); n != 2*total-nA {
		t.Fatalf("a refused append changed the table: %d rows", n)
	}
	// Overwrite replaces everything.
	if err := f.ds.Limit(5).WriteParquet(t.Context(), dir, byK, Overwrite()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 5 {
		t.Fatalf("after overwrite: %d rows, want 5", n)
	}
	if left := hiddenSiblings(t, dir); len(left) > 0 {
		t.Fatalf("the writes left %v", left)
	}
}

func hiddenSiblings(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestPartitionedWriteErrors(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	dir := filepath.Join(t.TempDir(), "table")
	for _, c := range []struct {
		opts []WriteOption
		want string
	}{
		{[]WriteOption{PartitionedBy("nope")}, `partition column "nope" is not a column`},
		{[]WriteOption{PartitionedBy("k", "k")}, `given twice`},
		{[]WriteOption{PartitionedBy("k", "g", "x", "y", "s")}, `every column`},
		{[]WriteOption{ParquetCompression("zip")}, `unknown Parquet compression "zip"`},
	} {
		err := f.ds.WriteParquet(t.Context(), dir, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused write made %s", dir)
	}
}

func TestPartitionedWriteInterrupted(t *testing.T) {
	// A task's file write fails: nothing is committed, the table is as before.
	parent := t.TempDir()
	dir := filepath.Join(parent, "table")
	efs := vfs.NewErrorFS(vfs.Default)
	f := newFixture(t, partitionSizes["mixed"], Config{MaxTaskAttempts: 1, TestingKnobs: TestingKnobs{FS: efs}})
	if err := f.ds.WriteParquet(t.Context(), dir, PartitionedBy("k")); err != nil {
		t.Fatal(err)
	}
	before := filesIn(t, dir)
	for _, mode := range []SaveMode{ModeAppend, ModeOverwritePartitions, ModeOverwrite} {
		efs.SetInjector(failWrites("part-", 2, syscall.EIO))
		err := f.ds.WriteParquet(t.Context(), dir, PartitionedBy("k"), WriteMode(mode))
		efs.SetInjector(nil)
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("%s: err = %v, want EIO", mode, err)
		}
		if after := filesIn(t, dir); !mapsEqual(before, after) {
			t.Fatalf("%s: a failed write changed the table", mode)
		}
		if left := hiddenSiblings(t, dir); len(left) > 0 {
			t.Fatalf("%s: the failed write left %v", mode, left)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPartitionedWriteManyPartitionsPerTask(t *testing.T) {
	// More partitions (g × s: 30) than a task keeps files open: files roll over, no row
	// is lost.
	defer func(n int) { maxOpenPartitionFiles = n }(maxOpenPartitionFiles)
	maxOpenPartitionFiles = 4
	// One task meets every partition twice (two batches), so a closed file's partition
	// comes back.
	f := newFixture(t, []int{600}, Config{})
	dir := filepath.Join(t.TempDir(), "table")
	if err := f.ds.Union(f.ds).Coalesce(1).WriteParquet(t.Context(), dir, PartitionedBy("g", "s")); err != nil {
		t.Fatal(err)
	}
	if rolled, _ := filepath.Glob(filepath.Join(dir, "*", "*", "part-00000.c001.parquet")); len(rolled) == 0 {
		t.Fatalf("no partition's file rolled over: %v", filesIn(t, dir))
	}
	var want [][]any
	for _, r := range f.rows {
		s := val(r.s)
		if s == "" {
			s = nil
		}
		row := []any{val(r.k), val(r.x), val(r.y), val(r.g), s}
		want = append(want, row, row)
	}
	assertSameRows(t, collectRows(t, f.s.ReadParquet(dir)), want)
}
