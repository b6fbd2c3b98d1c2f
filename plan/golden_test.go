package plan

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the golden files under testdata")

// The golden files live in testdata/<mode>/*.txt. A file starts with free comment lines
// (each starting with #) and holds cases. A case is a header line "== name", naming a plan
// builder of goldenPlans or goldenPhysPlans, followed by the expected output: what
// renderGolden prints for that plan in the file's mode. A new case needs only its header:
// go test ./plan -run Golden -update fills in its output, which must then be read and
// checked by hand before it is committed.
const goldenCaseHeader = "== "

// goldenModes are the testdata directories, each naming the last step a case runs to.
var goldenModes = []string{"analyze", "optimize", "physical", "stages"}

// goldenConfig is the physical configuration of every golden case: 8 shuffle partitions
// so that exchanges are easy to tell from scans, and the default broadcast threshold.
var goldenConfig = PhysicalConfig{ShufflePartitions: 8}

type goldenCase struct {
	name string
	want string
}

type goldenFile struct {
	header string // the comment lines, kept as they are on -update
	cases  []goldenCase
}

func parseGolden(text string) (goldenFile, error) {
	var f goldenFile
	var cur *goldenCase
	var body []string
	flush := func() {
		if cur != nil {
			cur.want = strings.TrimRight(strings.Join(body, "\n"), "\n")
			f.cases = append(f.cases, *cur)
		}
	}
	for i, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, goldenCaseHeader):
			flush()
			cur, body = &goldenCase{name: strings.TrimSpace(strings.TrimPrefix(line, goldenCaseHeader))}, nil
		case cur != nil:
			body = append(body, line)
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
			f.header += line + "\n"
		default:
			return f, fmt.Errorf("line %d: %q before the first case header %q", i+1, line, goldenCaseHeader)
		}
	}
	flush()
	f.header = strings.TrimRight(f.header, "\n")
	return f, nil
}

func (f goldenFile) String() string {
	var b strings.Builder
	if f.header != "" {
		b.WriteString(f.header + "\n\n")
	}
	for i, c := range f.cases {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(goldenCaseHeader + c.name + "\n" + c.want + "\n")
	}
	return b.String()
}

// renderGolden runs the named plan up to mode and prints every step on the way: the
// logical plan as built, then the analysis error or the step's output. Plans built
// physically start at their physical plan.
func renderGolden(mode, name string) (string, error) {
	var b strings.Builder
	section := func(title, body string) {
		b.WriteString("-- " + title + "\n" + strings.TrimRight(body, "\n") + "\n")
	}
	if build, ok := goldenPhysPlans[name]; ok {
		if mode != "stages" {
			return "", fmt.Errorf("physical plan %q only fits stages cases", name)
		}
		phys := build()
		section("physical", FormatPhysical(phys))
		section("stages", FormatStages(Split(phys)))
		return b.String(), nil
	}
	build, ok := goldenPlans[name]
	if !ok {
		return "", fmt.Errorf("no plan builder named %q", name)
	}
	logical := build()
	section("logical", FormatLogical(logical))
	analyzed, err := Analyze(logical)
	if err != nil {
		var ae *AnalysisError
		if !errors.As(err, &ae) {
			return "", fmt.Errorf("analysis failed with a %T, not an *AnalysisError: %v", err, err)
		}
		section("error", err.Error())
		return b.String(), nil
	}
	if mode == "analyze" {
		section("analyzed", FormatLogical(analyzed))
		section("schema", nullability(analyzed.Schema()))
		return b.String(), nil
	}
	optimized := Optimize(analyzed)
	if mode == "optimize" {
		section("optimized", FormatLogical(optimized))
		return b.String(), nil
	}
	phys, err := Physical(optimized, goldenConfig)
	if err != nil {
		section("error", err.Error())
		return b.String(), nil
	}
	section("physical", FormatPhysical(phys))
	if mode == "stages" {
		section("stages", FormatStages(Split(phys)))
	}
	return b.String(), nil
}

func goldenFiles(t *testing.T, mode string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", mode, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Errorf("no golden files in testdata/%s", mode)
	}
	return paths
}

func TestGolden(t *testing.T) {
	for _, mode := range goldenModes {
		for _, path := range goldenFiles(t, mode) {
			t.Run(mode+"/"+strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
				runGoldenFile(t, mode, path)
			})
		}
	}
}

// TestGoldenBuildersUsed catches a plan builder left without a case, which would
// otherwise be dead code that looks like coverage.
func TestGoldenBuildersUsed(t *testing.T) {
	used := map[string]bool{}
	for _, mode := range goldenModes {
		for _, path := range goldenFiles(t, mode) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parseGolden(string(text))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, c := range f.cases {
				used[c.name] = true
			}
		}
	}
	for name := range goldenPlans {
		if !used[name] {
			t.Errorf("plan builder %q is used by no golden case", name)
		}
	}
	for name := range goldenPhysPlans {
		if !used[name] {
			t.Errorf("physical plan builder %q is used by no golden case", name)
		}
	}
}

// runGoldenFile checks (or, with -update, rewrites) the cases of one file.
func runGoldenFile(t *testing.T, mode, path string) {
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseGolden(string(text))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for i, c := range f.cases {
		if slices.Contains(names, c.name) {
			t.Errorf("%s: case %q appears twice", path, c.name)
		}
		names = append(names, c.name)
		got, err := renderGolden(mode, c.name)
		if err != nil {
			t.Errorf("%s: case %s: %v", path, c.name, err)
			continue
		}
		got = strings.TrimRight(got, "\n")
		if *update {
			f.cases[i].want = got
			continue
		}
		if got != c.want {
			t.Errorf("%s: case %s differs (go test ./plan -run Golden -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, c.name, got, c.want)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseGoldenRoundTrip(t *testing.T) {
	text := "# comment\n# more\n\n== a\n-- logical\nScan x\n\n== b\n-- error\nboom\n"
	f, err := parseGolden(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.cases) != 2 || f.cases[0].name != "a" || f.cases[0].want != "-- logical\nScan x" || f.cases[1].want != "-- error\nboom" {
		t.Fatalf("parsed %+v", f)
	}
	if got := f.String(); got != text {
		t.Errorf("String() = %q, want %q", got, text)
	}
	if _, err := parseGolden("stray\n== a\n"); err == nil {
		t.Error("a line before the first case was accepted")
	}
}
