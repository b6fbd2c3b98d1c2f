package datasource

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/kindling-data/kindling/internal/objstore"
	"github.com/kindling-data/kindling/internal/vfs"
)

// objectOutput is the Cloud Storage side of a committer whose output is a gs:// prefix.
// An object store has no directories to rename, so the job commits another way: tasks
// write into a local staging directory, as they would for a local output; CommitJob
// uploads each file to its final name (an object appears whole or not at all, and the
// upload refuses a name that exists), then removes what the mode replaces, then writes
// _SUCCESS. A failed commit deletes what it uploaded. Unlike a local commit, a reader
// listing the prefix while the job commits may see some of its files and, when
// overwriting, the old files beside the new ones: as Spark's committers on object
// stores, the output is whole only once _SUCCESS is there.
type objectOutput struct {
	client         *objstore.Client
	bucket, prefix string // prefix: the output's object names start with it; it ends in "/"
	existing       []objstore.ObjectInfo
	mu             sync.Mutex // guards uploaded: files go up concurrently
	uploaded       []string
	// staging is where remote tasks put their files (StagingPrefix), staged the files
	// added from there: relative path in the output → object name.
	staging string
	staged  map[string]string
}

// CommitContext bounds the committer's requests to an object store (a gs:// output) by
// ctx. Local outputs ignore it.
func CommitContext(ctx context.Context) CommitOption {
	return func(c *DirectoryCommitter) { c.ctx = ctx }
}

// newObjectCommitter prepares c, whose options are applied, to write gs:// outDir.
func newObjectCommitter(c *DirectoryCommitter, outDir string) (*DirectoryCommitter, error) {
	bucket, name, err := objstore.Split(outDir)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	name = strings.Trim(name, "/")
	if name == "" {
		return nil, fmt.Errorf("datasource: output %s: name a prefix in the bucket, not the bucket itself", outDir)
	}
	if c.state != nil {
		return nil, fmt.Errorf("datasource: output %s: incremental loads into a table on Cloud Storage are not supported; load into a local table", outDir)
	}
	client, err := objstore.Default()
	if err != nil {
		return nil, fmt.Errorf("datasource: output %s: %w", outDir, err)
	}
	o := &objectOutput{client: client, bucket: bucket, prefix: name + "/"}
	if o.existing, _, err = client.List(c.ctx, bucket, o.prefix, ""); err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	if len(o.existing) > 0 && c.mode == ErrorIfExists {
		return nil, fmt.Errorf("datasource: output directory %s exists (%d objects under it)", outDir, len(o.existing))
	}
	c.objects, c.outDir = o, objstore.Scheme+bucket+"/"+name
	var b [6]byte
	_, _ = rand.Read(b[:])
	c.id = hex.EncodeToString(b[:])
	o.staging = o.prefix + "_temporary/" + c.id + "/"
	c.tmpDir = filepath.Join(os.TempDir(), "kindling-output-"+c.id)
	if err := c.fs.MkdirAll(c.tmpDir, 0o755); err != nil {
		return nil, fmt.Errorf("datasource: staging %s: %w", outDir, err)
	}
	return c, nil
}

// StagingPrefix is, for a gs:// output, where tasks that do not share this process's
// file system (a distributed runner's workers) put their files before the job commits:
// gs://bucket/<output>/_temporary/<job id>/, hidden from readers as _SUCCESS is, and
// removed when the job commits or aborts. "" for a local output.
func (c *DirectoryCommitter) StagingPrefix() string {
	if c.objects == nil {
		return ""
	}
	return objstore.Scheme + c.objects.bucket + "/" + c.objects.staging
}

// AddStagedObject makes the object (a gs:// path), under StagingPrefix, the job's file rel
// (slash-separated, relative to the output, as a task's file is to TaskFiles().Dir):
// CommitJob copies it to its place inside Cloud Storage, as it uploads the files of the
// local staging directory.
func (c *DirectoryCommitter) AddStagedObject(rel, object string) error {
	o := c.objects
	if o == nil {
		return fmt.Errorf("datasource: output %s is not on Cloud Storage: its tasks' files go in %s", c.outDir, c.tmpDir)
	}
	bucket, name, err := objstore.Split(object)
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	rel = path.Clean(rel)
	if bucket != o.bucket || !strings.HasPrefix(name, o.staging) {
		return fmt.Errorf("datasource: staged object %s is not under the job's staging prefix %s", object, c.StagingPrefix())
	}
	if rel == "." || strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, "/") {
		return fmt.Errorf("datasource: staged object %s: %q is not a path inside the output", object, rel)
	}
	if o.staged == nil {
		o.staged = map[string]string{}
	}
	if prev, ok := o.staged[rel]; ok && prev != name {
		return fmt.Errorf("datasource: two staged objects for the output's %s: %s and %s", rel, objstore.Scheme+bucket+"/"+prev, object)
	}
	o.staged[rel] = name
	return nil
}

// commitObjects uploads the staged files and copies the staged objects to their names,
// removes what the mode replaces and writes _SUCCESS; on error it deletes what it
// uploaded. The staging directory and prefix are removed either way.
func (c *DirectoryCommitter) commitObjects() (err error) {
	o := c.objects
	defer c.fs.RemoveAll(c.tmpDir)
	defer func() {
		if err != nil {
			err = errors.Join(err, o.deleteUploaded(c.ctx))
		}
		// Left over, the staged objects would only cost storage: readers skip _temporary.
		if derr := o.client.DeletePrefix(c.ctx, o.bucket, o.staging); err != nil && derr != nil {
			err = errors.Join(err, derr)
		}
	}()
	files, err := stagedFiles(c.fs, c.tmpDir)
	if err != nil {
		return err
	}
	written := map[string]bool{}
	// One request per file: a table of many files commits at the speed of the service,
	// not of one request after another.
	g, gctx := errgroup.WithContext(c.ctx)
	g.SetLimit(objstore.Requests)
	for _, rel := range files {
		if _, dup := o.staged[rel]; dup {
			return fmt.Errorf("datasource: the output's %s is both a local file and a staged object", rel)
		}
		written[o.prefix+rel] = true
		g.Go(func() error {
			return o.upload(gctx, c.fs, filepath.Join(c.tmpDir, filepath.FromSlash(rel)), o.prefix+rel)
		})
	}
	for _, rel := range slices.Sorted(maps.Keys(o.staged)) {
		written[o.prefix+rel] = true
		g.Go(func() error { return o.copy(gctx, o.staged[rel], o.prefix+rel) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	replaced := c.replacedObjects(written)
	if c.mode == ErrorIfExists {
		// Another job may have written the prefix since this one began.
		now, _, err := o.client.List(c.ctx, o.bucket, o.prefix, "")
		if err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
		for _, obj := range now {
			if !written[obj.Name] && !strings.HasPrefix(obj.Name, o.staging) {
				return fmt.Errorf("datasource: output directory %s exists: %s was written meanwhile", c.outDir, obj.Path())
			}
		}
	}
	names := make([]string, len(replaced))
	for i, obj := range replaced {
		names[i] = obj.Name
	}
	if err := o.client.DeleteAll(c.ctx, o.bucket, names); err != nil {
		return fmt.Errorf("datasource: replacing the old output: %w", err)
	}
	o.uploaded = nil // committed: nothing to take back
	success := o.prefix + "_SUCCESS"
	if _, err := o.client.Upload(c.ctx, o.bucket, success, strings.NewReader(""), 0, objstore.AnyGeneration); err != nil {
		return fmt.Errorf("datasource: %s holds the job's files, but its _SUCCESS could not be written: %w", c.outDir, err)
	}
	return nil
}

// replacedObjects are the objects that existed when the job began and that its mode
// replaces: all of them when overwriting; under OverwritePartitions those in the
// partition directories the job wrote or was told to replace (CommitReplacePartitions).
func (c *DirectoryCommitter) replacedObjects(written map[string]bool) []objstore.ObjectInfo {
	o := c.objects
	var dirs map[string]bool
	switch c.mode {
	case Overwrite:
	case OverwritePartitions:
		dirs = map[string]bool{}
		for name := range written {
			dirs[path.Dir(strings.TrimPrefix(name, o.prefix))] = true
		}
		for _, d := range c.purge {
			dirs[path.Clean(filepath.ToSlash(d))] = true
		}
	default:
		return nil
	}
	var out []objstore.ObjectInfo
	for _, obj := range o.existing {
		rel := strings.TrimPrefix(obj.Name, o.prefix)
		if written[obj.Name] || dirs != nil && (!strings.Contains(rel, "/") || !dirs[path.Dir(rel)]) {
			continue
		}
		out = append(out, obj)
	}
	return out
}

// upload copies the local file from to object name, which must not exist.
func (o *objectOutput) upload(ctx context.Context, fsys vfs.FS, from, name string) error {
	f, err := fsys.Open(from)
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	_, err = o.client.Upload(ctx, o.bucket, name, f, st.Size(), objstore.IfAbsent)
	return o.created(name, err)
}

// copy copies the staged object src to name, which must not exist.
func (o *objectOutput) copy(ctx context.Context, src, name string) error {
	_, err := o.client.Copy(ctx, o.bucket, src, o.bucket, name, objstore.IfAbsent)
	return o.created(name, err)
}

// created records object name as the job's once the request creating it succeeded
// (err nil), so that an abort deletes it; a name that existed is another job's.
func (o *objectOutput) created(name string, err error) error {
	if errors.Is(err, objstore.ErrPrecondition) {
		return fmt.Errorf("datasource: %s exists: another job wrote the same name: %w", objstore.Scheme+o.bucket+"/"+name, err)
	}
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	o.mu.Lock()
	o.uploaded = append(o.uploaded, name)
	o.mu.Unlock()
	return nil
}

// deleteUploaded removes what an uncommitted job uploaded.
func (o *objectOutput) deleteUploaded(ctx context.Context) error {
	err := o.client.DeleteAll(ctx, o.bucket, o.uploaded)
	o.uploaded = nil
	return err
}

// stagedFiles lists the regular files under dir as slash-separated relative paths.
func stagedFiles(fsys vfs.FS, dir string) ([]string, error) {
	var out []string
	var walk func(rel string) error
	walk = func(rel string) error {
		ents, err := fsys.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
		for _, e := range ents {
			p := path.Join(rel, e.Name())
			if e.IsDir() {
				if err := walk(p); err != nil {
					return err
				}
			} else {
				out = append(out, p)
			}
		}
		return nil
	}
	return out, walk("")
}
