//go:build !unix

package run

import "time"

// processCPU is not measured here: sweeps then show wall time only.
func processCPU() time.Duration { return 0 }
