package eval

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// The session time zone. The analyzer stamps the zone onto a zone-aware call as an
// extra trailing string literal argument (none when the session zone is UTC, so the UTC
// paths stay as they were); the kernels read it with evZoneArg. Wall clocks are computed
// per row from a cached *time.Location: the offset of an instant with time.Time.In, and
// the instant of a wall-clock time as java.time resolves it (evWallToInstant).

func init() {
	register(map[string]function{
		// The analyzer replaces these with literals at job start; evaluated directly
		// (an unplanned expression), they read the clock once per batch.
		"current_date": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			if len(args) != 0 {
				return evValue{}, fmt.Errorf("current_date takes no arguments")
			}
			return evScalar(scalar.NewDate32Scalar(arrow.Date32(time.Now().Unix() / 86400))), nil
		}},
		"current_timestamp": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			if len(args) != 0 {
				return evValue{}, fmt.Errorf("current_timestamp takes no arguments")
			}
			tt := &arrow.TimestampType{Unit: arrow.Microsecond}
			return evScalar(scalar.NewTimestampScalar(arrow.Timestamp(time.Now().UnixMicro()), tt)), nil
		}},
	})
}

// evZones caches the locations of zone names.
var evZones sync.Map // string → *time.Location

// evLoadZone returns the location of an IANA zone name, cached.
func evLoadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if l, ok := evZones.Load(name); ok {
		return l.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	evZones.Store(name, loc)
	return loc, nil
}

// evZoneArg splits the stamped zone off the arguments of a zone-aware function of arity
// base: the arguments without it and its location (nil when the call has none).
func evZoneArg(args []evValue, base int) ([]evValue, *time.Location, error) {
	if len(args) != base+1 {
		return args, nil, nil
	}
	name, err := evLiteralText(args[base])
	if err != nil {
		return nil, nil, fmt.Errorf("time zone argument: %w", err)
	}
	loc, err := evLoadZone(name)
	if err != nil {
		return nil, nil, err
	}
	return args[:base], loc, nil
}

// evOffsetMicros is the offset from UTC of loc at the instant us (microseconds since the
// epoch), in microseconds.
func evOffsetMicros(us int64, loc *time.Location) int64 {
	_, off := time.Unix(evFloorDiv(us, usPerSec), 0).In(loc).Zone()
	return int64(off) * usPerSec
}

// evWallToInstant is the instant of the wall-clock time wall (microseconds since the
// epoch as if in UTC) in loc, as java.time's ZonedDateTime.ofLocal resolves it: in an
// overlap (clocks set back) the earlier instant, in a gap (clocks set forward) the
// wall-clock time moved forward by the length of the gap.
func evWallToInstant(wall int64, loc *time.Location) int64 {
	return evWallToInstantPref(wall, loc, math.MinInt64)
}

// evWallToInstantPref is evWallToInstant preferring the offset pref (microseconds) in an
// overlap, as java.time's ZonedDateTime.ofLocal with a preferred offset.
func evWallToInstantPref(wall int64, loc *time.Location, pref int64) int64 {
	if loc == nil || loc == time.UTC {
		return wall
	}
	before := evOffsetMicros(wall-usPerDay, loc)
	after := evOffsetMicros(wall+usPerDay, loc)
	okBefore := evOffsetMicros(wall-before, loc) == before
	okAfter := evOffsetMicros(wall-after, loc) == after
	switch {
	case okBefore && okAfter:
		if pref == before || pref == after {
			return wall - pref
		}
		return wall - max(before, after)
	case okAfter:
		return wall - after
	}
	return wall - before // valid, or in a gap: the offset before the transition
}

// evInstantToWall is the wall-clock time of the instant us in loc (nil: UTC), as
// microseconds since the epoch as if in UTC.
func evInstantToWall(us int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return us
	}
	return us + evOffsetMicros(us, loc)
}
