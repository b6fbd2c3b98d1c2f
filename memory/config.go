package memory

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

const (
	// reservedSystemMemory is kept out of the budget for the Go runtime, goroutine stacks and
	// untracked metadata (Spark's RESERVED_SYSTEM_MEMORY_BYTES).
	reservedSystemMemory = 300 << 20
	// unknownPhysicalMemory is assumed when /proc/meminfo cannot be read (non-Linux systems,
	// sandboxes).
	unknownPhysicalMemory = 4 << 30
	// defaultMemoryFraction is the share of (physical − reserved) given to the unified budget;
	// the remaining 40% covers untracked streaming batches and estimation error (Spark's
	// spark.memory.fraction).
	defaultMemoryFraction = 0.6
	// DefaultStorageFraction is the share of the budget that forms the storage region, the
	// floor below which cached blocks are immune to eviction by execution.
	DefaultStorageFraction = 0.5
	// minDefaultLimit keeps the derived budget usable on tiny machines.
	minDefaultLimit = 64 << 20
	// DefaultTaskWait bounds how long one TryGrow of a task below its minimum share waits for
	// other tasks to release memory before it fails with a *BudgetError.
	DefaultTaskWait = 10 * time.Second
)

// Config sets the unified memory budget.
type Config struct {
	// Limit is the budget in bytes shared by execution and storage. Zero derives it from
	// physical memory (see EnsureDefaults).
	Limit int64
	// StorageFraction is the share of Limit that forms the storage region: storage memory up
	// to Limit*StorageFraction cannot be evicted by execution. Zero means
	// DefaultStorageFraction; otherwise it must lie in (0, 1].
	StorageFraction float64
	// TaskWait bounds how long one TryGrow of a task holding less than its minimum share
	// (M_exec/2N) waits for other tasks to release memory. Zero means DefaultTaskWait.
	TaskWait time.Duration
}

// EnsureDefaults fills zero fields: Limit becomes 0.6 × (physical memory − 300 MiB), where
// physical memory is MemTotal from /proc/meminfo (4 GiB if unknown), lowered to the Go
// runtime's soft limit (GOMEMLIMIT) when the program set one and it is smaller (a limit held
// by HoldGoMemoryLimit does not count); StorageFraction becomes 0.5;
// TaskWait becomes DefaultTaskWait.
func (c *Config) EnsureDefaults() {
	if c.Limit == 0 {
		c.Limit = defaultLimit(physicalMemory())
	}
	if c.StorageFraction == 0 {
		c.StorageFraction = DefaultStorageFraction
	}
	if c.TaskWait == 0 {
		c.TaskWait = DefaultTaskWait
	}
}

// Validate reports the first relation the configuration violates.
func (c Config) Validate() error {
	if c.Limit < 0 {
		return fmt.Errorf("memory: Config.Limit must be >= 0 (0 derives it from physical memory), got %d", c.Limit)
	}
	if math.IsNaN(c.StorageFraction) || c.StorageFraction < 0 || c.StorageFraction > 1 {
		return fmt.Errorf("memory: Config.StorageFraction must satisfy 0 <= StorageFraction <= 1, got %v", c.StorageFraction)
	}
	if c.TaskWait < 0 {
		return fmt.Errorf("memory: Config.TaskWait must be >= 0 (0 means %v), got %v", DefaultTaskWait, c.TaskWait)
	}
	return nil
}

func defaultLimit(physical int64) int64 {
	if soft := programGoLimit(); soft > 0 && soft < physical {
		physical = soft
	}
	limit := int64(defaultMemoryFraction * float64(physical-reservedSystemMemory))
	if limit < minDefaultLimit {
		limit = minDefaultLimit
	}
	return limit
}

// physicalMemory returns MemTotal in bytes, or unknownPhysicalMemory.
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return unknownPhysicalMemory
	}
	defer f.Close()
	if n, ok := parseMemTotal(f); ok {
		return n
	}
	return unknownPhysicalMemory
}

// parseMemTotal reads the "MemTotal: N kB" line of a meminfo file.
func parseMemTotal(r interface{ Read([]byte) (int, error) }) (int64, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		rest, ok := bytes.CutPrefix(line, []byte("MemTotal:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || n <= 0 {
			return 0, false
		}
		if len(fields) > 1 && string(fields[1]) == "kB" {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}

// FormatBytes renders n with a binary unit and one decimal: "512 B", "12.0 MiB", "1.5 GiB".
func FormatBytes(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign = "-"
		u = uint64(-n) // math.MinInt64 wraps to itself as uint64, which is the right magnitude
	}
	const unit = 1024
	if u < unit {
		return fmt.Sprintf("%s%d B", sign, u)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(u) / unit
	i := 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%s%.1f %s", sign, v, units[i])
}
