package tpch

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/pingcap/go-tpc/tpch/dbgen"

	"github.com/kindling-data/kindling/dataset"
)

// dbgenMu serializes generations: dbgen keeps its state in package variables.
var dbgenMu sync.Mutex

// Dir is the cache directory of scale factor sf under root: root/sf<sf>.
func Dir(root string, sf float64) string {
	return filepath.Join(root, "sf"+strconv.FormatFloat(sf, 'f', -1, 64))
}

// DefaultRoot is the cache root: $TMPDIR/kindling-tpch.
func DefaultRoot() string { return filepath.Join(os.TempDir(), "kindling-tpch") }

// Generate makes the eight tables of scale factor sf as Parquet directories under
// Dir(root, sf) (one directory per table, part-NNNNN.parquet files) unless they are
// there already, and returns that directory. A scale factor above 1 must be an integer;
// below 1 it must be a multiple of 0.001 with a customer count divisible by 3 (0.01,
// 0.1 and the like).
func Generate(ctx context.Context, root string, sf float64) (dir string, generated bool, err error) {
	dir = Dir(root, sf)
	if _, err := os.Stat(filepath.Join(dir, "_SUCCESS")); err == nil {
		return dir, false, nil
	}
	g, err := newGenerator(sf)
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", false, err
	}
	tmp, err := os.MkdirTemp(root, ".gen-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	if err := g.run(ctx, tmp); err != nil {
		return "", false, fmt.Errorf("tpch: generating sf %g: %w", sf, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "_SUCCESS"), nil, 0o644); err != nil {
		return "", false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// generator holds a generation's sizes: scale is dbgen's integer scale; the counts are
// the tables' rows when sf < 1 (0 otherwise: dbgen's own counts).
type generator struct {
	sf                          float64
	scale                       int64
	cust, supp, part, orders    int64
	suppAll                     int64 // suppliers at dbgen's scale (partSuppBridge's count)
	Duration                    time.Duration
	foldCustomers, foldSupplier bool
}

func newGenerator(sf float64) (*generator, error) {
	switch {
	case sf >= 1:
		if sf != math.Trunc(sf) || sf > 100000 {
			return nil, fmt.Errorf("tpch: scale factor %g: above 1 it must be an integer", sf)
		}
		return &generator{sf: sf, scale: int64(sf)}, nil
	case sf > 0:
		milli := math.Round(sf * 1000)
		if milli < 1 || math.Abs(milli-sf*1000) > 1e-9 || int64(milli*150)%3 != 0 {
			return nil, fmt.Errorf("tpch: scale factor %g: below 1 it must be a multiple of 0.001 with 150000*sf divisible by 3", sf)
		}
		m := int64(milli)
		return &generator{sf: sf, scale: 1, cust: 150 * m, supp: 10 * m, part: 200 * m, orders: 1500 * m,
			suppAll: 10000, foldCustomers: true, foldSupplier: true}, nil
	}
	return nil, fmt.Errorf("tpch: scale factor %g: must be positive", sf)
}

// run generates every table into dir.
func (g *generator) run(ctx context.Context, dir string) error {
	dbgenMu.Lock()
	defer dbgenMu.Unlock()
	sess, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		return err
	}
	defer sess.Close()
	sinks := map[string]*sink{}
	for _, t := range tableNames {
		sinks[t] = newSink(ctx, sess, dir, t)
		if err := os.MkdirAll(sinks[t].dir, 0o755); err != nil {
			return err
		}
	}
	defer func() {
		for _, s := range sinks {
			if s.b != nil {
				s.b.Release()
				s.b = nil
			}
		}
	}()
	sinks["supplier"].limit, sinks["customer"].limit = g.supp, g.cust
	sinks["part"].limit, sinks["orders"].limit = g.part, g.orders

	dbgen.InitDbGen(g.scale)
	if g.part > 0 {
		// Line items draw their part keys from 1..LPkeyMax; its type is unexported.
		reflect.ValueOf(&dbgen.LPkeyMax).Elem().SetInt(g.part)
	}
	start := time.Now()
	for _, step := range []struct {
		loaders map[dbgen.Table]dbgen.Loader
		table   dbgen.Table
		sinks   []string
	}{
		{map[dbgen.Table]dbgen.Loader{dbgen.TRegion: regionLoader{sinks["region"]}}, dbgen.TRegion, []string{"region"}},
		{map[dbgen.Table]dbgen.Loader{dbgen.TNation: nationLoader{sinks["nation"]}}, dbgen.TNation, []string{"nation"}},
		{map[dbgen.Table]dbgen.Loader{dbgen.TSupp: suppLoader{sinks["supplier"]}}, dbgen.TSupp, []string{"supplier"}},
		{map[dbgen.Table]dbgen.Loader{dbgen.TCust: custLoader{sinks["customer"]}}, dbgen.TCust, []string{"customer"}},
		{map[dbgen.Table]dbgen.Loader{dbgen.TPart: partLoader{sinks["part"]}, dbgen.TPsupp: psuppLoader{g, sinks["partsupp"]}},
			dbgen.TPartPsupp, []string{"part", "partsupp"}},
		{map[dbgen.Table]dbgen.Loader{dbgen.TOrder: orderLoader{g, sinks["orders"]}, dbgen.TLine: lineLoader{g, sinks["lineitem"]}},
			dbgen.TOrderLine, []string{"orders", "lineitem"}},
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := quietly(func() error { return dbgen.DbGen(step.loaders, []dbgen.Table{step.table}) })
		if err != nil && !sinks[step.sinks[0]].stopped {
			return err
		}
		for _, name := range step.sinks {
			if err := sinks[name].close(); err != nil {
				return err
			}
			sinks[name].b = nil
		}
	}
	g.Duration = time.Since(start)
	return nil
}

// quietly runs fn with the standard output discarded: dbgen prints a line per table.
func quietly(fn func() error) error {
	stdout := os.Stdout
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return fn()
	}
	defer devnull.Close()
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	return fn()
}
