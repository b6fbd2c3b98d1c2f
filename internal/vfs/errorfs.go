package vfs

import (
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
)

// Op names a file system operation, for fault injection.
type Op int

// The operations an ErrorFS can fail.
const (
	OpCreate Op = iota
	OpOpen
	OpRead
	OpWrite
	OpSync
	OpClose
	OpRemove
	OpRename
	OpMkdir
	OpStat
	OpReadDir
	OpLock
)

var opNames = [...]string{"create", "open", "read", "write", "sync", "close", "remove", "rename", "mkdir", "stat", "readdir", "lock"}

// String returns the operation's name, as os.PathError's Op.
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Injector decides whether an operation fails: it returns the error to report, or nil to
// let the operation run. path is the operation's file (the old name of a Rename). It may
// also act before the operation (corrupt the file about to be renamed, kill the process)
// and is called concurrently.
type Injector func(op Op, path string) error

// ErrorFS wraps an FS and fails the operations an Injector picks, or the writes past a
// capacity (a full disk). It is safe for concurrent use.
type ErrorFS struct {
	base FS

	// inject is read on every operation, so it is an atomic rather than under a mutex.
	inject atomic.Pointer[Injector]
	// capacity is the bytes that may still be written (negative: unlimited); written
	// counts every byte written.
	capacity atomic.Int64
	written  atomic.Int64
}

var _ FS = (*ErrorFS)(nil)

// NewErrorFS returns base with no fault injected yet.
func NewErrorFS(base FS) *ErrorFS {
	e := &ErrorFS{base: base}
	e.capacity.Store(-1)
	return e
}

// SetInjector replaces the injector (nil: none).
func (e *ErrorFS) SetInjector(inj Injector) {
	if inj == nil {
		e.inject.Store(nil)
		return
	}
	e.inject.Store(&inj)
}

// SetCapacity simulates a disk with n bytes free: once n more bytes have been written,
// further writes write what still fits and fail with ENOSPC ("no space left on device").
// A negative n removes the limit.
func (e *ErrorFS) SetCapacity(n int64) { e.capacity.Store(n) }

// Written returns the bytes written through the file system so far.
func (e *ErrorFS) Written() int64 { return e.written.Load() }

func (e *ErrorFS) check(op Op, path string) error {
	inj := e.inject.Load()
	if inj == nil {
		return nil
	}
	if err := (*inj)(op, path); err != nil {
		return &os.PathError{Op: op.String(), Path: path, Err: err}
	}
	return nil
}

// Create implements FS.
func (e *ErrorFS) Create(name string) (File, error) {
	if err := e.check(OpCreate, name); err != nil {
		return nil, err
	}
	f, err := e.base.Create(name)
	if err != nil {
		return nil, err
	}
	return &errorFile{fs: e, f: f, name: name}, nil
}

// Open implements FS.
func (e *ErrorFS) Open(name string) (File, error) {
	if err := e.check(OpOpen, name); err != nil {
		return nil, err
	}
	f, err := e.base.Open(name)
	if err != nil {
		return nil, err
	}
	return &errorFile{fs: e, f: f, name: name}, nil
}

// Remove implements FS.
func (e *ErrorFS) Remove(name string) error {
	if err := e.check(OpRemove, name); err != nil {
		return err
	}
	return e.base.Remove(name)
}

// RemoveAll implements FS.
func (e *ErrorFS) RemoveAll(name string) error {
	if err := e.check(OpRemove, name); err != nil {
		return err
	}
	return e.base.RemoveAll(name)
}

// Rename implements FS.
func (e *ErrorFS) Rename(oldname, newname string) error {
	if err := e.check(OpRename, oldname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err.(*os.PathError).Err}
	}
	return e.base.Rename(oldname, newname)
}

// Mkdir implements FS.
func (e *ErrorFS) Mkdir(name string, perm fs.FileMode) error {
	if err := e.check(OpMkdir, name); err != nil {
		return err
	}
	return e.base.Mkdir(name, perm)
}

// MkdirAll implements FS.
func (e *ErrorFS) MkdirAll(name string, perm fs.FileMode) error {
	if err := e.check(OpMkdir, name); err != nil {
		return err
	}
	return e.base.MkdirAll(name, perm)
}

// Stat implements FS.
func (e *ErrorFS) Stat(name string) (fs.FileInfo, error) {
	if err := e.check(OpStat, name); err != nil {
		return nil, err
	}
	return e.base.Stat(name)
}

// ReadDir implements FS.
func (e *ErrorFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := e.check(OpReadDir, name); err != nil {
		return nil, err
	}
	return e.base.ReadDir(name)
}

// Lock implements FS.
func (e *ErrorFS) Lock(name string) (io.Closer, error) {
	if err := e.check(OpLock, name); err != nil {
		return nil, err
	}
	return e.base.Lock(name)
}

type errorFile struct {
	fs   *ErrorFS
	f    File
	name string
}

func (f *errorFile) Read(p []byte) (int, error) {
	if err := f.fs.check(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.f.Read(p)
}

func (f *errorFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

func (f *errorFile) Write(p []byte) (int, error) {
	if err := f.fs.check(OpWrite, f.name); err != nil {
		return 0, err
	}
	for {
		c := f.fs.capacity.Load()
		if c < 0 {
			break
		}
		if int64(len(p)) <= c {
			if !f.fs.capacity.CompareAndSwap(c, c-int64(len(p))) {
				continue
			}
			break
		}
		// Write what still fits, then fail as a full disk does.
		if !f.fs.capacity.CompareAndSwap(c, 0) {
			continue
		}
		n, err := f.f.Write(p[:c])
		f.fs.written.Add(int64(n))
		if err == nil {
			err = &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
		}
		return n, err
	}
	n, err := f.f.Write(p)
	f.fs.written.Add(int64(n))
	return n, err
}

func (f *errorFile) Sync() error {
	if err := f.fs.check(OpSync, f.name); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *errorFile) Close() error {
	err := f.f.Close()
	if ierr := f.fs.check(OpClose, f.name); err == nil {
		err = ierr
	}
	return err
}

func (f *errorFile) Stat() (fs.FileInfo, error) { return f.f.Stat() }
