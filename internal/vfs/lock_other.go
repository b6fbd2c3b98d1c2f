//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vfs

import (
	"io"
	"os"
)

// LockSupported reports whether Lock excludes other processes on this platform.
const LockSupported = false

// lockFile only creates the file: without flock, no owner can be told dead, so callers
// that clean up after dead owners skip the cleanup (LockSupported is false).
func lockFile(name string) (io.Closer, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
}
