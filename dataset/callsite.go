package dataset

import (
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// callSite names the user's line that called a dataset method, as op@file.go:line, so
// that Explain and errors point at the user's code rather than at kindling's.
func callSite(op string) string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, "kindling-data/kindling/dataset.") || strings.HasSuffix(f.File, "_test.go") {
			return op + "@" + filepath.Base(f.File) + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return op
		}
	}
}
