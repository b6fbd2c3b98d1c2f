package beam

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

// ErrNotRun is what Run returns when the runner translated the pipeline without running
// it: a Dataflow dry run (the dry_run flag) or template (template_location). Nothing was
// collected or committed.
var ErrNotRun = errors.New("beam: the runner translated the job but did not run it (dry_run or template_location)")

// checkDataflow refuses, before submission, what Dataflow's workers could not do: they
// run on Google's machines, share no file system with this program and reach only
// Cloud Storage, so every file the job's tasks read or write, and every file they leave
// for the driver, must be on gs://.
func checkDataflow(opts Options, action string, u *dataset.Units) error {
	if loc := flagValue(opts, "staging_location"); !objstore.IsGS(loc) {
		return fmt.Errorf("beam: runner dataflow needs the staging_location flag (Options.Flags or the command line), a gs:// prefix where the worker binary and the pipeline are staged (got %q)", loc)
	}
	t := opts.EnvironmentType
	if t == "" {
		t = flagValue(opts, "environment_type")
	}
	if t != "" && !strings.EqualFold(t, "DOCKER") {
		return fmt.Errorf("beam: runner dataflow runs its workers in containers (EnvironmentType DOCKER, an image in EnvironmentConfig or the sdk_container_image flag), not %s", t)
	}
	write := formatOf(action) != ""
	if write && !objstore.IsGS(opts.OutputDir) {
		return fmt.Errorf("beam: runner dataflow writes only to gs:// outputs: Dataflow's workers do not see the local path %q", opts.OutputDir)
	}
	if !objstore.IsGS(opts.ResultDir) {
		switch {
		case !write:
			return fmt.Errorf("beam: runner dataflow needs Options.ResultDir on gs:// for the result stage's files, which the workers write and this program reads back (got %q)", opts.ResultDir)
		case u.Expectations() > 0:
			return fmt.Errorf("beam: runner dataflow needs Options.ResultDir on gs:// for the tasks' counts of the job's expectations (got %q)", opts.ResultDir)
		}
	}
	for _, f := range u.InputFiles() {
		if !objstore.IsGS(f) {
			return fmt.Errorf("beam: runner dataflow: the job reads the local file %s, which Dataflow's workers do not see; put its inputs on gs://", f)
		}
	}
	return nil
}

// flagValue is the value Beam's flag name will have for the run: Options.Flags' if it
// sets it, else the program's (a user may pass Beam's flags on the command line).
func flagValue(opts Options, name string) string {
	if v, ok := opts.Flags[name]; ok {
		return v
	}
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}
