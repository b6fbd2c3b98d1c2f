// Package metamorphic gives tests settings that, in a metamorphic run, are drawn at random
// instead of taking their defaults, as CockroachDB's metamorphic constants are: a result
// must not depend on batch sizes, partition counts, broadcast choices or the memory
// budget, so a test that compares with an independent computation stays valid under any
// draw, and covers the paths its defaults never reach (one-row batches, spills).
//
// A run is metamorphic when KINDLING_SEED (a number) or KINDLING_METAMORPHIC (any value,
// seed drawn) is set; KINDLING_METAMORPHIC=spill also draws memory budgets small enough
// to make the operators spill (Spill). The seed is printed once to stderr; the same seed gives every test
// the same draws, whatever tests run and in whatever order, since each value is drawn from
// the seed and its key alone.
package metamorphic

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
)

// SeedEnv and EnableEnv are the environment variables that make a run metamorphic.
const (
	SeedEnv   = "KINDLING_SEED"
	EnableEnv = "KINDLING_METAMORPHIC"
)

var (
	once    sync.Once
	enabled bool
	seed    uint64
)

func setup() {
	once.Do(func() {
		if s := os.Getenv(SeedEnv); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				panic(fmt.Sprintf("metamorphic: %s=%q is not a number", SeedEnv, s)) // test setup only
			}
			seed, enabled = v, true
		} else if os.Getenv(EnableEnv) != "" {
			seed, enabled = rand.Uint64()%1_000_000_000, true
		}
		if enabled {
			fmt.Fprintf(os.Stderr, "metamorphic run: %s=%d repeats its draws\n", SeedEnv, seed)
		}
	})
}

// Enabled reports whether this run draws its settings.
func Enabled() bool {
	setup()
	return enabled
}

// Spill reports whether a metamorphic run also draws budgets that force spilling
// (KINDLING_METAMORPHIC=spill). They are apart because small budgets can also fail a job
// whose smallest unit does not fit, which a test must then tell from a wrong answer.
func Spill() bool { return Enabled() && os.Getenv(EnableEnv) == "spill" }

// Seed returns the run's seed (0 when it is not metamorphic).
func Seed() uint64 {
	setup()
	return seed
}

// Choose returns def, or in a metamorphic run one of choices drawn from the seed and key
// (name the test and the setting in key, so that each test draws its own).
func Choose[T any](key string, def T, choices ...T) T {
	if !Enabled() || len(choices) == 0 {
		return def
	}
	return choices[draw(key).IntN(len(choices))]
}

// IntRange returns def, or in a metamorphic run an int in [lo, hi] drawn from the seed and
// key.
func IntRange(key string, def, lo, hi int) int {
	if !Enabled() || hi < lo {
		return def
	}
	return lo + draw(key).IntN(hi-lo+1)
}

func draw(key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
