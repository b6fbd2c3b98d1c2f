package beam

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

// TestWorkersInOtherProcesses runs jobs on Prism with its workers in processes of their
// own (Beam's PROCESS environment: Beam's Go boot program fetches the staged worker
// binary, this test binary, and starts it), sharing nothing with the driver but a Cloud
// Storage emulator, as Dataflow's workers share nothing but Cloud Storage: a group-by
// and a join collected through a gs:// ResultDir, and a partitioned Parquet write to a
// gs:// OutputDir, give the local answers.
func TestWorkersInOtherProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Beam's boot program and starts worker processes")
	}
	cloudStorage(t)
	dir := t.TempDir()
	opts := workerProcesses(t, dir)
	opts.Worker, opts.ResultDir = testWorker, objstore.Scheme+testBucket+"/process-results"
	ctx := context.Background()
	for _, job := range []string{"test/groupby", "test/inner"} {
		want := local(t, job)
		res, err := Run(ctx, job, nil, opts)
		if err != nil {
			t.Fatalf("%s: %v", job, err)
		}
		got := rowStrings(res.Batches)
		res.Release()
		slices.Sort(got)
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%s with worker processes: %d rows, local %d; first difference at %d", job, len(got), len(want), firstDiff(got, want))
		}
	}
	out := objstore.Scheme + testBucket + "/process-table"
	w := opts
	w.Action, w.OutputDir, w.PartitionedBy = "writeParquet", out, []string{"g"}
	if _, err := Run(ctx, "test/facts", nil, w); err != nil {
		t.Fatal(err)
	}
	localOut := filepath.Join(dir, "local-table")
	writeLocally(t, "test/facts", localOut, "parquet", dataset.ModeErrorIfExists, dataset.PartitionedBy("g"))
	if got, want := readBack(t, "parquet", out), readBack(t, "parquet", localOut); len(want) == 0 || etl.Diff(got, want) != "" {
		t.Fatalf("a write with worker processes: %d rows, local %d: %s", len(got), len(want), etl.Diff(got, want))
	}
}

// workerProcesses returns the options that run Prism's workers in processes of their
// own (this test binary, started by Beam's Go boot program, built into dir).
func workerProcesses(t *testing.T, dir string) Options {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("worker processes are found in /proc")
	}
	boot := filepath.Join(dir, "boot")
	build := exec.Command("go", "build", "-o", boot, "github.com/apache/beam/sdks/v2/go/container")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building Beam's boot program: %v\n%s", err, out)
	}
	// Prism passes the worker id as --id='...', quotes included; the boot program wants
	// the id alone. Prism stops a worker by killing the boot program, whose child (the
	// worker binary) lives on, and the boot program copies the worker binary into
	// /tmp/bin*/ and never removes it: the test ends the workers it started (they carry
	// its directory in their flags), removes the copies, and keeps their output in a
	// file rather than on its own stdout. The boot program writes pipeline_options.json
	// into its working directory: the test's own directory, not the package's.
	wrapper, logs := filepath.Join(dir, "boot.sh"), filepath.Join(dir, "workers.log")
	script := "#!/bin/bash\nargs=()\nfor a in \"$@\"; do case \"$a\" in --id=*) a=\"${a//\\'/}\";; esac; args+=(\"$a\"); done\n" +
		"cd " + dir + " && exec " + boot + " --semi_persist_dir=" + dir + " \"${args[@]}\" >>" + logs + " 2>&1\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		endWorkers(dir)
		if t.Failed() {
			out, _ := os.ReadFile(logs)
			t.Logf("the worker processes' output:\n%s", out)
		}
	})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{EnvironmentType: "PROCESS", EnvironmentConfig: `{"command": "` + wrapper + `"}`,
		Flags: map[string]string{"worker_binary": self}}
}

// endWorkers kills the worker processes started with dir as their semi-persistent
// directory and removes the copies of their binary under /tmp/bin*/.
func endWorkers(dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(cmd), "--semi_persist_dir="+dir+"\x00") {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if proc, err := os.FindProcess(pid); err == nil {
			proc.Kill()
		}
		if exe := strings.SplitN(string(cmd), "\x00", 2)[0]; strings.HasPrefix(exe, "/tmp/bin") && filepath.Base(exe) == "worker" {
			os.RemoveAll(filepath.Dir(exe))
		}
	}
}
