// Package leakcheck fails a test when goroutines outlive it.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the goroutines running now and, when the test ends, fails it if more are
// running than before after a grace period of up to two seconds. Call it first in a test.
func Check(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("leakcheck: %d goroutines running after the test, %d before:\n%s", n, before, trim(string(buf)))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func trim(s string) string {
	if len(s) > 20000 {
		return s[:20000] + "\n..."
	}
	return strings.TrimSpace(s)
}
