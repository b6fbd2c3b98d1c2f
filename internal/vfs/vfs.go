// Package vfs is the file system kindling writes through: spill files, disk-cached blocks,
// checkpoints and job output. Production code uses Default (the operating system's file
// system); tests wrap it in an ErrorFS to inject faults (a full disk, a failing write or
// rename, a crash between two steps) at exactly the operation they target, as Pebble's
// vfs and errorfs packages do.
//
// Only writes go through FS: input files (CSV, Parquet, Arrow IPC that the user reads)
// are opened by their readers directly.
package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// File is an open file: what kindling's writers and readers need of *os.File.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Stat returns the file's metadata.
	Stat() (fs.FileInfo, error)
	// Sync commits the file's contents to stable storage.
	Sync() error
}

// FS is a file system. Paths are host paths (filepath rules), as for package os.
type FS interface {
	// Create creates or truncates name for writing and reading (mode 0666 before umask).
	Create(name string) (File, error)
	// Open opens name for reading.
	Open(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes name and everything under it; a missing name is no error.
	RemoveAll(name string) error
	// Rename renames oldname to newname, atomically within one file system.
	Rename(oldname, newname string) error
	// Mkdir creates one directory with perm (before umask).
	Mkdir(name string, perm fs.FileMode) error
	// MkdirAll creates name and its missing parents with perm (before umask).
	MkdirAll(name string, perm fs.FileMode) error
	// Stat returns a file's metadata.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir returns the entries of a directory, sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Lock creates name if needed and takes an exclusive advisory lock on it, held until
	// the returned Closer is closed or the process dies. It fails at once, with an error
	// wrapping ErrLocked, if another holder (another process, or another Lock call of this
	// one) has it: that is how a live owner is told from a dead one.
	Lock(name string) (io.Closer, error)
}

// ErrLocked reports a lock held by someone else.
var ErrLocked = errors.New("vfs: locked by another owner")

// Default is the operating system's file system.
var Default FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) { return os.Create(name) }
func (osFS) Open(name string) (File, error)   { return os.Open(name) }
func (osFS) Remove(name string) error         { return os.Remove(name) }
func (osFS) RemoveAll(name string) error      { return os.RemoveAll(name) }
func (osFS) Rename(oldname, newname string) error {
	return os.Rename(oldname, newname)
}
func (osFS) Mkdir(name string, perm fs.FileMode) error    { return os.Mkdir(name, perm) }
func (osFS) MkdirAll(name string, perm fs.FileMode) error { return os.MkdirAll(name, perm) }
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Lock(name string) (io.Closer, error)          { return lockFile(name) }

// ReadFile reads the whole of name.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile creates name with data, removing it again if the write or close fails.
func WriteFile(fsys FS, name string, data []byte) error {
	f, err := fsys.Create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(name)
	}
	return err
}
