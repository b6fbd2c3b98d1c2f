package beam

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kindling-data/kindling/internal/objstore"
)

// sharedDir is a directory the driver and the workers both reach, where tasks leave what
// the driver reads once the pipeline succeeded (result files, expectation counts, the
// manifests of written files): a local path (one machine, or a file system they share)
// or a gs:// prefix (Dataflow's workers share no file system with the driver). Every
// put is atomic: a reader sees a whole file or none, and a retried task's put replaces
// its earlier attempt's.
type sharedDir string

// newSharedDir makes a directory of its own under base ("": the system's temporary
// directory, reachable only from this machine) and returns it with its removal.
func newSharedDir(ctx context.Context, base, prefix string) (sharedDir, func(), error) {
	if objstore.IsGS(base) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		d := sharedDir(strings.TrimSuffix(base, "/") + "/" + prefix + hex.EncodeToString(b[:]))
		return d, func() { d.removeAll(context.WithoutCancel(ctx)) }, nil
	}
	dir, err := os.MkdirTemp(base, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("beam: result directory: %w", err)
	}
	return sharedDir(dir), func() { os.RemoveAll(dir) }, nil
}

func (d sharedDir) gs() bool { return objstore.IsGS(string(d)) }

// object returns the bucket and object name of d's file name.
func (d sharedDir) object(name string) (*objstore.Client, string, string, error) {
	bucket, prefix, err := objstore.Split(string(d))
	if err != nil {
		return nil, "", "", err
	}
	c, err := objstore.Default()
	if err != nil {
		return nil, "", "", err
	}
	return c, bucket, strings.TrimSuffix(prefix, "/") + "/" + name, nil
}

// path is where d's file name is, for messages.
func (d sharedDir) path(name string) string {
	if d.gs() {
		return strings.TrimSuffix(string(d), "/") + "/" + name
	}
	return filepath.Join(string(d), filepath.FromSlash(name))
}

// put writes d's file name (a slash-separated path under d) whole.
func (d sharedDir) put(ctx context.Context, name string, data []byte) error {
	if d.gs() {
		c, bucket, obj, err := d.object(name)
		if err == nil {
			_, err = c.Upload(ctx, bucket, obj, bytes.NewReader(data), int64(len(data)), objstore.AnyGeneration)
		}
		if err != nil {
			return fmt.Errorf("beam: writing %s: %w", d.path(name), err)
		}
		return nil
	}
	dst := d.path(name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("beam: writing %s: %w", dst, err)
	}
	return writeAtomic(filepath.Dir(dst), filepath.Base(dst), data)
}

// putFile copies the local file from to d's file name; d is a gs:// prefix.
func (d sharedDir) putFile(ctx context.Context, name, from string) error {
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	c, bucket, obj, err := d.object(name)
	if err == nil {
		_, err = c.Upload(ctx, bucket, obj, f, st.Size(), objstore.AnyGeneration)
	}
	if err != nil {
		return fmt.Errorf("beam: writing %s: %w", d.path(name), err)
	}
	return nil
}

// get reads d's file name; a missing one is an error wrapping fs.ErrNotExist.
func (d sharedDir) get(ctx context.Context, name string) ([]byte, error) {
	if !d.gs() {
		return os.ReadFile(d.path(name))
	}
	c, bucket, obj, err := d.object(name)
	if err != nil {
		return nil, err
	}
	o, err := c.Open(ctx, bucket, obj)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// list returns the names of d's files directly in it that start with prefix, sorted.
func (d sharedDir) list(ctx context.Context, prefix string) ([]string, error) {
	if !d.gs() {
		matches, err := filepath.Glob(filepath.Join(string(d), prefix+"*"))
		var out []string
		for _, m := range matches {
			out = append(out, filepath.Base(m))
		}
		return out, err
	}
	c, bucket, obj, err := d.object(prefix)
	if err != nil {
		return nil, err
	}
	objs, _, err := c.List(ctx, bucket, obj, "/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Name[strings.LastIndex(o.Name, "/")+1:])
	}
	return out, nil
}

// removeAll removes d and everything in it.
func (d sharedDir) removeAll(ctx context.Context) error {
	if !d.gs() {
		return os.RemoveAll(string(d))
	}
	c, bucket, obj, err := d.object("")
	if err != nil {
		return err
	}
	return c.DeletePrefix(ctx, bucket, obj)
}
