package dataset

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/datasource"
)

// TestFileTaskWriterAsAWorker writes a partitioned table as a distributed runner does:
// tasks write through FileTaskWriter with the names of a committer they never see, and
// the committer commits the directory; then an appending job the same way. The table
// reads back as the rows written (twice after the append), in the same partition
// directories as a local write's, the appended files named by the second job's id.
func TestFileTaskWriterAsAWorker(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	recs, err := f.ds.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	schema, err := f.ds.Schema()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "table")
	job := func(mode SaveMode) string {
		c, err := datasource.NewDirectoryCommitter(dir, mode, datasource.CommitPartitionDepth(2))
		if err != nil {
			t.Fatal(err)
		}
		for task := range 2 {
			w, err := NewFileTaskWriter("parquet", schema, c.TaskFiles(), task, f.mem, PartitionedBy("k", "g"))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range recs {
				if i%2 == task {
					r.Retain()
					if err := w.Write(t.Context(), r); err != nil {
						w.Abort()
						t.Fatal(err)
					}
				}
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if w.Files() == 0 {
				t.Fatalf("task %d wrote no file", task)
			}
		}
		if err := c.CommitJob(); err != nil {
			t.Fatal(err)
		}
		return c.TaskFiles().ID
	}
	job(ModeErrorIfExists)
	dirs := map[string]bool{}
	var want [][]any
	for _, r := range f.rows {
		dirs["k="+hiveText(r.k)+"/g="+hiveInt(r.g)] = true
		want = append(want, hiveRow(r))
	}
	if got := partitionDirs(t, dir); strings.Join(got, ",") != strings.Join(sortedKeys(dirs), ",") {
		t.Fatalf("partition directories %v, want %v", got, sortedKeys(dirs))
	}
	assertSameRows(t, collectRows(t, f.s.ReadParquet(dir)), want)

	id := job(ModeAppend)
	assertSameRows(t, collectRows(t, f.s.ReadParquet(dir)), append(want, want...))
	appended := 0
	for name := range filesIn(t, dir) {
		if strings.Contains(filepath.Base(name), id) {
			appended++
		}
	}
	if appended == 0 {
		t.Fatalf("no file of the appending job %s in %v", id, filesIn(t, dir))
	}
	if _, err := NewFileTaskWriter("orc", schema, datasource.TaskFiles{Dir: dir}, 0, f.mem); err == nil {
		t.Fatal("an unknown format was accepted")
	}
}
