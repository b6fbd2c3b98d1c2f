package asofjoin

import (
	"testing"

	"github.com/kindling-data/kindling/internal/leakcheck"
)

// TestMain fails the run if goroutines, temporary files or checked allocations outlive
// the package's tests.
func TestMain(m *testing.M) { leakcheck.Main(m) }
