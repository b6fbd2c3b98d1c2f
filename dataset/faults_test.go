package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/vfs"
	"github.com/kindling-data/kindling/storage"
)

// Fault injection through Config.TestingKnobs.FS: every test runs a job over a file system
// that fails one kind of operation, and checks that the user sees an error naming the
// file (or, where the engine can do without the write, the right answer), and that
// nothing is left behind.

// failWrites returns an injector failing every write to a path that contains sub with
// errno, after the first skip such writes succeeded.
func failWrites(sub string, skip int64, errno error) vfs.Injector {
	var n atomic.Int64
	return func(op vfs.Op, path string) error {
		if op == vfs.OpWrite && strings.Contains(path, sub) && n.Add(1) > skip {
			return errno
		}
		return nil
	}
}

// filesUnder lists the regular files and directories under dir (not dir itself).
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && path != dir {
			out = append(out, strings.TrimPrefix(path, dir+string(filepath.Separator)))
		}
		return nil
	})
	return out
}

// idsData is n int64 ids 0..n-1 in parts partitions: sums and counts of it are known in
// closed form, independently of the engine.
func idsData(s *Session, mem memory.Allocator, n, parts int) *Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var ps [][]arrow.RecordBatch
	per := n / parts
	for p := 0; p < parts; p++ {
		b := array.NewInt64Builder(mem)
		for i := p * per; i < (p+1)*per; i++ {
			b.Append(int64(i))
		}
		col := b.NewArray()
		b.Release()
		ps = append(ps, []arrow.RecordBatch{array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))})
		col.Release()
	}
	d := s.FromPartitions(schema, ps...)
	for _, p := range ps {
		releaseAll(p)
	}
	return d
}

func sumIDs(t *testing.T, d *Dataset) (sum, count int64) {
	t.Helper()
	recs, err := d.GroupBy().Agg(Sum("id").As("s"), Count().As("n")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	if len(recs) != 1 || recs[0].NumRows() != 1 {
		t.Fatalf("global aggregate returned %d batches", len(recs))
	}
	return recs[0].Column(0).(*array.Int64).Value(0), recs[0].Column(1).(*array.Int64).Value(0)
}

func TestFaultSpillWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *vfs.ErrorFS)
		errno syscall.Errno
	}{
		{"disk full", func(e *vfs.ErrorFS) { e.SetCapacity(64 << 10) }, syscall.ENOSPC},
		{"write error", func(e *vfs.ErrorFS) { e.SetInjector(failWrites(".spill", 3, syscall.EIO)) }, syscall.EIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			efs := vfs.NewErrorFS(vfs.Default)
			tc.setup(efs)
			s, mem := newCacheSession(t, Config{MemoryLimit: 1 << 20, SpillDir: dir, BatchRows: 2048, MaxTaskAttempts: 1,
				TestingKnobs: TestingKnobs{FS: efs}})
			_, err := bigData(s, mem).OrderBy(Asc("s")).Collect(t.Context())
			if err == nil {
				t.Fatal("a sort that must spill succeeded on a failing disk")
			}
			if !errors.Is(err, tc.errno) || !strings.Contains(err.Error(), s.SpillDir()) || !strings.Contains(err.Error(), ".spill") {
				t.Fatalf("err = %v, want %v naming a spill file in %s", err, tc.errno, s.SpillDir())
			}
			if left := filesUnder(t, s.SpillDir()); len(left) != 0 {
				t.Fatalf("the failed job left spill files: %v", left)
			}
		})
	}
}

func TestFaultDiskCacheWrite(t *testing.T) {
	// A cache block that cannot be written is not stored; the job still gives the right
	// answer (the rows stream on uncached), and the next job recomputes from lineage.
	const n, parts = 600_000, 4
	wantSum := int64(n) * (n - 1) / 2
	for _, level := range []StorageLevel{DiskOnly, MemoryAndDisk} {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
			t.Run(level.String()+"/"+errno.Error(), func(t *testing.T) {
				efs := vfs.NewErrorFS(vfs.Default)
				var failed atomic.Int64
				inner := failWrites("cache_", 0, errno)
				efs.SetInjector(func(op vfs.Op, path string) error {
					err := inner(op, path)
					if err != nil {
						failed.Add(1)
					}
					return err
				})
				// A 2 MiB budget cannot hold four 1.2 MB partitions: MemoryAndDisk writes
				// some to disk.
				s, mem := newCacheSession(t, Config{MemoryLimit: 2 << 20, SpillDir: t.TempDir(), TestingKnobs: TestingKnobs{FS: efs}})
				d := idsData(s, mem, n, parts).Persist(level)
				for run := 0; run < 2; run++ {
					if sum, count := sumIDs(t, d); sum != wantSum || count != n {
						t.Fatalf("run %d: sum %d count %d, want %d %d", run, sum, count, wantSum, n)
					}
				}
				info := s.StorageInfo()
				if len(info) != 1 || info[0].OnDisk != 0 || info[0].DiskBytes != 0 || failed.Load() == 0 {
					t.Fatalf("%d injected failures; storage: %v", failed.Load(), info)
				}
				if left := filesUnder(t, s.SpillDir()); len(left) != 0 {
					t.Fatalf("failed cache writes left files: %v", left)
				}
			})
		}
	}
}

func TestFaultOutputWrite(t *testing.T) {
	for _, format := range []string{"parquet", "csv", "checkpoint"} {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
			t.Run(format+"/"+errno.Error(), func(t *testing.T) {
				parent := t.TempDir()
				efs := vfs.NewErrorFS(vfs.Default)
				efs.SetInjector(failWrites("part-", 0, errno))
				s, mem := newCacheSession(t, Config{SpillDir: t.TempDir(), CheckpointDir: parent, MaxTaskAttempts: 1,
					TestingKnobs: TestingKnobs{FS: efs}})
				d := idsData(s, mem, 20_000, 2)
				out := filepath.Join(parent, "out")
				var err error
				switch format {
				case "parquet":
					err = d.WriteParquet(t.Context(), out)
				case "csv":
					err = d.WriteCSV(t.Context(), out)
				default:
					_, err = d.Checkpoint(t.Context(), "out")
				}
				if err == nil {
					t.Fatal("a write to a failing disk succeeded")
				}
				if !errors.Is(err, errno) || !strings.Contains(err.Error(), "part-0000") || !strings.Contains(err.Error(), parent) {
					t.Fatalf("err = %v, want %v naming the part file", err, errno)
				}
				if left := filesUnder(t, parent); len(left) != 0 {
					t.Fatalf("the failed write left %v", left)
				}
			})
		}
	}
}

func TestFaultCommitRename(t *testing.T) {
	// The rename that publishes the output fails: the user sees the error naming the
	// output directory, no new output is visible, and an existing output is intact.
	for _, overwrite := range []bool{false, true} {
		t.Run(map[bool]string{false: "new", true: "overwrite"}[overwrite], func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			efs := vfs.NewErrorFS(vfs.Default)
			s, mem := newCacheSession(t, Config{SpillDir: t.TempDir(), TestingKnobs: TestingKnobs{FS: efs}})
			old := idsData(s, mem, 1000, 2)
			if overwrite {
				if err := old.WriteParquet(t.Context(), out); err != nil {
					t.Fatal(err)
				}
			}
			efs.SetInjector(func(op vfs.Op, path string) error {
				if op == vfs.OpRename && strings.Contains(path, ".out.kindling-") && !strings.HasSuffix(path, ".old") {
					return syscall.EXDEV
				}
				return nil
			})
			var opts []WriteOption
			if overwrite {
				opts = append(opts, Overwrite())
			}
			err := idsData(s, mem, 5000, 2).WriteParquet(t.Context(), out, opts...)
			if !errors.Is(err, syscall.EXDEV) || !strings.Contains(err.Error(), out) {
				t.Fatalf("err = %v, want EXDEV naming %s", err, out)
			}
			efs.SetInjector(nil)
			left := filesUnder(t, parent)
			if !overwrite {
				if len(left) != 0 {
					t.Fatalf("the failed commit left %v", left)
				}
				return
			}
			for _, f := range left {
				if !strings.HasPrefix(f, "out") {
					t.Fatalf("the failed commit left %s", f)
				}
			}
			if sum, count := sumIDs(t, s.ReadParquet(out)); sum != 999*1000/2 || count != 1000 {
				t.Fatalf("the old output reads sum %d count %d, want %d 1000", sum, count, 999*1000/2)
			}
		})
	}
}

// corruptOnRename returns an injector that, when a finished file whose name contains sub
// is about to be renamed into place, damages it with mangle (at most once per file).
func corruptOnRename(t *testing.T, sub string, mangle func(data []byte) []byte) (vfs.Injector, *atomic.Int64) {
	var n atomic.Int64
	return func(op vfs.Op, path string) error {
		if op != vfs.OpRename || !strings.Contains(filepath.Base(path), sub) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("corrupt %s: %v", path, err)
			return nil
		}
		n.Add(1)
		return os.WriteFile(path, mangle(data), 0o644)
	}, &n
}

// flip8 flips one bit in each of 8 bytes spread over the middle of the file: the damage
// of defect 8's repro.
func flip8(data []byte) []byte {
	for i := 0; i < 8; i++ {
		data[len(data)/4+i*len(data)/20] ^= 0x10
	}
	return data
}

func truncateHalf(data []byte) []byte { return data[:len(data)/2] }

func TestFaultCorruptSpill(t *testing.T) {
	for name, mangle := range map[string]func([]byte) []byte{"bitflip": flip8, "truncated": truncateHalf} {
		t.Run(name, func(t *testing.T) {
			efs := vfs.NewErrorFS(vfs.Default)
			inj, n := corruptOnRename(t, "sort-run", mangle)
			efs.SetInjector(inj)
			s, mem := newCacheSession(t, Config{MemoryLimit: 1 << 20, SpillDir: t.TempDir(), BatchRows: 2048, MaxTaskAttempts: 1,
				TestingKnobs: TestingKnobs{FS: efs}})
			_, err := bigData(s, mem).OrderBy(Asc("s")).Collect(t.Context())
			if n.Load() == 0 {
				t.Fatal("the sort did not spill")
			}
			if !errors.Is(err, storage.ErrCorruptSpill) || !strings.Contains(err.Error(), s.SpillDir()) || !strings.Contains(err.Error(), "sort-run") {
				t.Fatalf("err = %v, want a corrupt spill error naming the file", err)
			}
			if left := filesUnder(t, s.SpillDir()); len(left) != 0 {
				t.Fatalf("the failed job left spill files: %v", left)
			}
		})
	}
}

func TestCheckpointCorruptPartFails(t *testing.T) {
	// Defect 8: 8 flipped bytes in a checkpoint read back as wrong values with no error.
	// Now every damaged part fails the read with an error naming it, whatever the action
	// (Take stops early and must not pass on rows of a damaged file either), and the failed
	// reads leave no Arrow memory allocated.
	for name, mangle := range map[string]func([]byte) []byte{"bitflip": flip8, "truncated": truncateHalf} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s1, mem1 := newCacheSession(t, Config{CheckpointDir: dir})
			want := int64(200_000) * (200_000 - 1) / 2
			if _, err := idsData(s1, mem1, 200_000, 2).Checkpoint(t.Context(), "cp"); err != nil {
				t.Fatal(err)
			}
			s2, _ := newCacheSession(t, Config{CheckpointDir: dir})
			if sum, count := sumIDs(t, s2.ReadCheckpoint("cp")); sum != want || count != 200_000 {
				t.Fatalf("intact checkpoint reads sum %d count %d", sum, count)
			}
			parts, _ := filepath.Glob(filepath.Join(dir, "cp", "part-*"))
			if len(parts) != 2 {
				t.Fatalf("checkpoint parts: %v", parts)
			}
			data, err := os.ReadFile(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(parts[1], mangle(data), 0o644); err != nil {
				t.Fatal(err)
			}
			s3, _ := newCacheSession(t, Config{CheckpointDir: dir, MaxTaskAttempts: 1})
			d := s3.ReadCheckpoint("cp")
			_, err = d.GroupBy().Agg(Sum("id")).Collect(t.Context())
			if !errors.Is(err, storage.ErrCorruptSpill) || !strings.Contains(err.Error(), parts[1]) {
				t.Fatalf("aggregate over a damaged checkpoint: err = %v, want a corruption error naming %s", err, parts[1])
			}
			_, err = d.Filter(Col("id").Ge(Lit(int64(100_000)))).Take(t.Context(), 1)
			if !errors.Is(err, storage.ErrCorruptSpill) {
				t.Fatalf("Take over a damaged checkpoint: err = %v, want a corruption error", err)
			}
		})
	}
}

func TestCacheCorruptBlockRecomputed(t *testing.T) {
	// Defect 8: a corrupted cached block failed every later job. Now the block manager
	// drops it and counts it, and the partition is recomputed from lineage.
	const n, parts = 100_000, 4
	want := int64(n) * (n - 1) / 2
	for _, tc := range []struct {
		level  StorageLevel
		damage string
		mangle func([]byte) []byte
	}{{DiskOnly, "bitflip", flip8}, {DiskOnly, "truncated", truncateHalf}, {MemoryAndDisk, "bitflip", flip8}} {
		level := tc.level
		t.Run(level.String()+"/"+tc.damage, func(t *testing.T) {
			efs := vfs.NewErrorFS(vfs.Default)
			inj, damaged := corruptOnRename(t, "cache_", tc.mangle)
			efs.SetInjector(inj)
			budget := int64(0)
			if level == MemoryAndDisk {
				budget = 256 << 10 // 200 KB partitions: at most one fits, the others go to disk
			}
			s, mem := newCacheSession(t, Config{MemoryLimit: budget, SpillDir: t.TempDir(), BatchRows: 4096, TestingKnobs: TestingKnobs{FS: efs}})
			d := idsData(s, mem, n, parts).Persist(level)
			for run := 0; run < 3; run++ {
				if sum, count := sumIDs(t, d); sum != want || count != n {
					t.Fatalf("run %d: sum %d count %d, want %d %d", run, sum, count, want, n)
				}
			}
			if damaged.Load() == 0 {
				t.Fatal("no cache block was written to disk")
			}
			if lost := s.blocks.Stats().Lost; lost == 0 {
				t.Fatalf("no block counted lost after %d damaged writes", damaged.Load())
			}
			var recomputed int64
			for _, j := range s.Jobs() {
				recomputed += j.Totals().RecomputedPartitions
			}
			if recomputed == 0 {
				t.Fatal("no job counted a recomputed partition")
			}
		})
	}
}

func TestShuffleCorruptBlockReported(t *testing.T) {
	// Defect 8: a corrupted shuffle file was reported as "missing map output". The error
	// now says corruption, with the file and the block.
	efs := vfs.NewErrorFS(vfs.Default)
	inj, damaged := corruptOnRename(t, "shuffle_", flip8)
	efs.SetInjector(inj)
	s, mem := newCacheSession(t, Config{MemoryLimit: 256 << 10, SpillDir: t.TempDir(), BatchRows: 4096, MaxTaskAttempts: 1,
		TestingKnobs: TestingKnobs{FS: efs}})
	_, err := bigData(s, mem).Repartition(4).Count(t.Context())
	if damaged.Load() == 0 {
		t.Fatal("no shuffle block went to disk")
	}
	if !errors.Is(err, storage.ErrCorruptSpill) || !strings.Contains(err.Error(), s.SpillDir()) ||
		!strings.Contains(err.Error(), "shuffle_") || strings.Contains(err.Error(), "missing map output") {
		t.Fatalf("err = %v, want a corruption error naming the shuffle file and block", err)
	}
}
