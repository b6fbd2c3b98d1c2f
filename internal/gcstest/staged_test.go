package gcstest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/objstore"
)

// The server-side copy reads back as its source, and DeletePrefix removes every object
// under a prefix and nothing else.
func TestCopyAndDeletePrefix(t *testing.T) {
	ctx := t.Context()
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("copied "), 50_000)
	for _, name := range []string{"copy/src/a", "copy/src/b/c", "copy/keep"} {
		if _, err := c.Upload(ctx, bucket, name, bytes.NewReader(data), int64(len(data)), objstore.AnyGeneration); err != nil {
			t.Fatal(err)
		}
	}
	info, err := c.Copy(ctx, bucket, "copy/src/b/c", bucket, "copy/dst", objstore.IfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "copy/dst" || info.Size != int64(len(data)) {
		t.Fatalf("copy answered %+v, want copy/dst of %d bytes", info, len(data))
	}
	if got := readObject(t, c, "copy/dst"); !bytes.Equal(got, data) {
		t.Fatalf("the copy reads back %d bytes, want the source's %d", len(got), len(data))
	}
	if _, err := c.Copy(ctx, bucket, "copy/missing", bucket, "copy/dst2", objstore.IfAbsent); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("copy of a missing object: %v, want fs.ErrNotExist", err)
	}
	if err := c.DeletePrefix(ctx, bucket, "copy/src/"); err != nil {
		t.Fatal(err)
	}
	if got, want := listNames(t, "copy/"), []string{"dst", "keep"}; !slices.Equal(got, want) {
		t.Fatalf("after DeletePrefix(copy/src/): %v, want %v", got, want)
	}
}

// A committer of a gs:// output takes files its tasks put under its staging prefix (as
// a distributed runner's workers do) beside those of its local staging directory: the
// commit copies them to their names, replaces the old table, writes _SUCCESS and leaves
// no _temporary object; an abort leaves nothing it staged.
func TestCommitStagedObjects(t *testing.T) {
	ctx := t.Context()
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	put := func(name, content string) {
		t.Helper()
		if _, err := c.Upload(ctx, bucket, name, strings.NewReader(content), int64(len(content)), objstore.AnyGeneration); err != nil {
			t.Fatal(err)
		}
	}
	put("staged/old.csv", "old")
	out := objstore.Scheme + bucket + "/staged"
	com, err := datasource.NewDirectoryCommitter(out, datasource.Overwrite, datasource.CommitContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	staging := com.StagingPrefix()
	if !strings.HasPrefix(staging, out+"/_temporary/") {
		t.Fatalf("staging prefix %s, want one under %s/_temporary/", staging, out)
	}
	_, name, _ := objstore.Split(staging)
	put(name+"attempt-1/day=1/part-00000.csv", "task 0")
	put(name+"attempt-2/day=2/part-00001.csv", "task 1")
	if err := com.AddStagedObject("day=1/part-00000.csv", staging+"attempt-1/day=1/part-00000.csv"); err != nil {
		t.Fatal(err)
	}
	if err := com.AddStagedObject("day=2/part-00001.csv", staging+"attempt-2/day=2/part-00001.csv"); err != nil {
		t.Fatal(err)
	}
	if err := com.AddStagedObject("x.csv", out+"/old.csv"); err == nil || !strings.Contains(err.Error(), "not under the job's staging prefix") {
		t.Fatalf("a staged object outside the staging prefix: %v, want refused", err)
	}
	if err := com.AddStagedObject("../x.csv", staging+"attempt-1/day=1/part-00000.csv"); err == nil {
		t.Fatal("a staged object named outside the output was taken")
	}
	local := filepath.Join(com.TempDir(), "part-00002.csv")
	if err := os.WriteFile(local, []byte("local"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := com.CommitJob(); err != nil {
		t.Fatal(err)
	}
	got := listNames(t, "staged/")
	want := []string{"_SUCCESS", "day=1/part-00000.csv", "day=2/part-00001.csv", "part-00002.csv"}
	if !slices.Equal(got, want) {
		t.Fatalf("committed %v, want %v", got, want)
	}
	for name, content := range map[string]string{"day=1/part-00000.csv": "task 0", "day=2/part-00001.csv": "task 1", "part-00002.csv": "local"} {
		if got := string(readObject(t, c, "staged/"+name)); got != content {
			t.Fatalf("%s holds %q, want %q", name, got, content)
		}
	}

	abort, err := datasource.NewDirectoryCommitter(out, datasource.Append, datasource.CommitContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	_, name, _ = objstore.Split(abort.StagingPrefix())
	put(name+"attempt-1/part-00000.csv", "never committed")
	if err := abort.AbortJob(); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, "staged/"); !slices.Equal(got, want) {
		t.Fatalf("after an abort: %v, want the committed table %v", got, want)
	}
}

// An upload past 32 MiB goes through a resumable session in chunks, against the
// emulator's implementation of the protocol, and reads back whole.
func TestResumableUpload(t *testing.T) {
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 40<<20+1)
	for i := range data {
		data[i] = byte(i % 253)
	}
	info, err := c.Upload(t.Context(), bucket, "large/part-0.bin", bytes.NewReader(data), int64(len(data)), objstore.IfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) {
		t.Fatalf("uploaded %d bytes, want %d", info.Size, len(data))
	}
	if got := readObject(t, c, "large/part-0.bin"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not the %d uploaded", len(got), len(data))
	}
}
