package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kindling-data/kindling/internal/objstore"
)

// Inputs are local files or Cloud Storage objects (gs://bucket/name, see
// internal/objstore): every reader opens, sizes and lists its inputs through the functions
// of this file, so that one path syntax works for CSV, JSON lines, Parquet and Arrow IPC
// alike. An object store has no directories: a gs:// "directory" is the objects under
// its name and a "/", and a glob is matched against the names under the pattern's
// literal prefix.

// inputFile is an input opened for reading: what the readers need of an *os.File.
type inputFile interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	// Name is the path as given; Size the size when opened.
	Name() string
	Size() int64
}

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

type objectFile struct {
	*objstore.Object
	path string
}

func (f objectFile) Name() string { return f.path }

func gsClient() (*objstore.Client, error) {
	c, err := objstore.Default()
	if err != nil {
		return nil, fmt.Errorf("datasource: Cloud Storage: %w", err)
	}
	return c, nil
}

// openInput opens a local file or a gs:// object for reading; ctx bounds an object's
// requests.
func openInput(ctx context.Context, p string) (inputFile, error) {
	if objstore.IsGS(p) {
		bucket, name, err := objstore.Split(p)
		if err != nil {
			return nil, fmt.Errorf("datasource: %w", err)
		}
		c, err := gsClient()
		if err != nil {
			return nil, err
		}
		obj, err := c.Open(ctx, bucket, name)
		if err != nil {
			return nil, fmt.Errorf("datasource: %w", err)
		}
		return objectFile{Object: obj, path: p}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datasource: %w", err)
	}
	return localFile{File: f, size: st.Size()}, nil
}

// InputSize returns the size of an input file: a local path or a gs:// object.
func InputSize(ctx context.Context, p string) (int64, error) {
	st, err := statInput(ctx, p)
	if err != nil {
		return 0, err
	}
	return st.size, nil
}

// inputInfo is what the readers need of an input path's metadata.
type inputInfo struct {
	size    int64
	dir     bool
	regular bool
}

// statInput describes a local path or a gs:// path: an object, or a "directory" when
// objects lie under its name and a "/". A missing path is an error wrapping
// fs.ErrNotExist.
func statInput(ctx context.Context, p string) (inputInfo, error) {
	if !objstore.IsGS(p) {
		st, err := os.Stat(p)
		if err != nil {
			return inputInfo{}, err
		}
		return inputInfo{size: st.Size(), dir: st.IsDir(), regular: st.Mode().IsRegular()}, nil
	}
	bucket, name, err := objstore.Split(p)
	if err != nil {
		return inputInfo{}, err
	}
	c, err := gsClient()
	if err != nil {
		return inputInfo{}, err
	}
	if name != "" && !strings.HasSuffix(name, "/") {
		info, err := c.Stat(ctx, bucket, name)
		if err == nil {
			return inputInfo{size: info.Size, regular: true}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return inputInfo{}, err
		}
	}
	objs, prefixes, err := c.List(ctx, bucket, dirPrefix(name), "/")
	if err != nil {
		return inputInfo{}, err
	}
	if len(objs) == 0 && len(prefixes) == 0 {
		return inputInfo{}, fmt.Errorf("objstore: %s: %w", p, fs.ErrNotExist)
	}
	return inputInfo{dir: true}, nil
}

// dirPrefix is the object-name prefix of the "directory" name ("" for a bucket).
func dirPrefix(name string) string {
	if name == "" || strings.HasSuffix(name, "/") {
		return name
	}
	return name + "/"
}

// inputEntry is one entry of an input directory.
type inputEntry struct {
	name    string // the base name
	dir     bool
	regular bool
}

// readInputDir lists a local directory or a gs:// "directory" (the objects and prefixes
// directly under it), sorted by name.
func readInputDir(ctx context.Context, p string) ([]inputEntry, error) {
	if !objstore.IsGS(p) {
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		out := make([]inputEntry, 0, len(entries))
		for _, e := range entries {
			out = append(out, inputEntry{name: e.Name(), dir: e.IsDir(), regular: e.Type().IsRegular()})
		}
		return out, nil
	}
	bucket, name, err := objstore.Split(p)
	if err != nil {
		return nil, err
	}
	c, err := gsClient()
	if err != nil {
		return nil, err
	}
	prefix := dirPrefix(name)
	objs, prefixes, err := c.List(ctx, bucket, prefix, "/")
	if err != nil {
		return nil, err
	}
	var out []inputEntry
	for _, o := range objs {
		if base := strings.TrimPrefix(o.Name, prefix); base != "" { // "dir/" itself: a folder marker
			out = append(out, inputEntry{name: base, regular: true})
		}
	}
	for _, d := range prefixes {
		out = append(out, inputEntry{name: strings.TrimSuffix(strings.TrimPrefix(d, prefix), "/"), dir: true})
	}
	slices.SortFunc(out, func(a, b inputEntry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// joinInput joins a directory path and an entry's name, for local and gs:// paths.
func joinInput(dir, name string) string {
	if objstore.IsGS(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}

// baseInput is the last element of a local or gs:// path.
func baseInput(p string) string {
	if objstore.IsGS(p) {
		return path.Base(p)
	}
	return filepath.Base(p)
}

// globMatch is a path a pattern matched, and whether it is a regular file (an object).
type globMatch struct {
	path    string
	regular bool
}

// globInput returns the paths matching a pattern (filepath.Glob's syntax; for gs://,
// path.Match over the object names under the pattern's literal prefix: a "*" does not
// cross a "/"), each described: the listing already tells objects, so no object is asked
// for its metadata one by one.
func globInput(ctx context.Context, pattern string) ([]globMatch, error) {
	if !objstore.IsGS(pattern) {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		out := make([]globMatch, 0, len(paths))
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				return nil, err
			}
			out = append(out, globMatch{path: p, regular: st.Mode().IsRegular()})
		}
		return out, nil
	}
	bucket, name, err := objstore.Split(pattern)
	if err != nil {
		return nil, err
	}
	if _, err := path.Match(name, ""); err != nil {
		return nil, err
	}
	c, err := gsClient()
	if err != nil {
		return nil, err
	}
	literal := name
	if i := strings.IndexAny(name, `*?[\`); i >= 0 {
		literal = name[:i]
	}
	objs, _, err := c.List(ctx, bucket, literal, "")
	if err != nil {
		return nil, err
	}
	var out []globMatch
	for _, o := range objs {
		if ok, _ := path.Match(name, o.Name); ok {
			out = append(out, globMatch{path: o.Path(), regular: true})
		}
	}
	return out, nil
}
