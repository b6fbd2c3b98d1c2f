// Package depcheck holds the test that keeps kindling's layers pointing one way:
// a lower layer importing a higher one fails it (see ../shared/DESIGN.md).
package depcheck

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kindling-data/kindling"

// allowed lists, for each layer, the kindling layers it may import directly; since every
// package is checked, the transitive imports follow the same directions. A package
// belongs to the layer of the longest matching prefix (exec/hashagg is its own layer,
// exec/other would be exec's). internal/ helpers are open to every layer, except the
// column kernels, which sit below storage, shuffle and exec and import nothing of kindling.
var allowed = map[string][]string{
	"memory":          {},
	"storage":         {"memory", "internal/kernel"},
	"internal/kernel": {},
	"shuffle":         {"storage", "memory", "internal/kernel"},
	"datasource":      {"memory"},
	"plan":            {},
	"exec/colop":      {"storage", "memory", "internal/kernel"},
	"exec/eval":       {"exec/colop", "plan", "memory", "internal/kernel"},
	"exec/hashagg":    {"exec/colop", "exec/eval", "plan", "storage", "memory", "internal/kernel"},
	"exec/hashjoin":   {"exec/colop", "plan", "storage", "memory", "internal/kernel"},
	"exec/sorting":    {"exec/colop", "plan", "storage", "memory", "internal/kernel"},
	"exec/window":     {"exec/colop", "plan", "storage", "memory", "internal/kernel"},
	"exec/asofjoin":   {"exec/colop", "plan", "memory", "internal/kernel"},
	"exec/exectest":   {"exec/colop", "plan", "storage", "memory", "internal/kernel"},
	"exec": {"exec/colop", "exec/asofjoin", "exec/eval", "exec/hashagg", "exec/hashjoin", "exec/sorting", "exec/window",
		"plan", "shuffle", "storage", "memory", "datasource", "internal/kernel"},
	"sql": {"plan"},
	// The web UI renders what exec measured; only dataset starts it.
	"internal/webui": {"exec", "shuffle", "memory"},
	"dataset":        {"sql", "plan", "exec", "storage", "memory", "datasource", "internal/webui"},
}

// layerOf returns the layer rel belongs to: the longest key of allowed that is rel or a
// folder above it; "" when none is.
func layerOf(rel string) string {
	best := ""
	for l := range allowed {
		if (rel == l || strings.HasPrefix(rel, l+"/")) && len(l) > len(best) {
			best = l
		}
	}
	return best
}

func TestImportDirections(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, module+"/") {
			continue
		}
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		top := strings.SplitN(rel, "/", 2)[0]
		switch {
		case top == "examples" || top == "bench":
			checkOnly(t, rel, "dataset")
			continue
		}
		layer := layerOf(rel)
		if layer == "" && top == "internal" {
			continue
		}
		ok, known := allowed[layer]
		if !known {
			t.Errorf("package %s is not in the layering table: add it to depcheck's allowed map", rel)
			continue
		}
		seen++
		okSet := map[string]bool{layer: true}
		for _, a := range ok {
			okSet[a] = true
		}
		for _, d := range p.Imports {
			if !strings.HasPrefix(d, module+"/") {
				continue
			}
			drel := strings.TrimPrefix(d, module+"/")
			dlayer := layerOf(drel)
			if okSet[dlayer] || (dlayer == "" && strings.HasPrefix(drel, "internal/") && layer != "internal/kernel") {
				continue
			}
			t.Errorf("%s imports %s: %s may import only %v", rel, drel, layer, ok)
		}
	}
	if seen < 5 {
		t.Fatalf("only %d layered packages found: is the module layout broken?", seen)
	}
}

// checkOnly verifies that an example or benchmark program uses kindling only through
// its public API: the dataset package (which brings its own layers along).
func checkOnly(t *testing.T, rel, public string) {
	t.Helper()
	// Direct imports are what the user wrote; the transitive ones come with dataset.
	out, err := exec.Command("go", "list", "-f", "{{join .Imports \"\\n\"}}", module+"/"+rel).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", rel, err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, module+"/") && imp != module+"/"+public {
			t.Errorf("%s imports %s: examples and benchmarks use only %s", rel, strings.TrimPrefix(imp, module+"/"), public)
		}
	}
}

// TestBenchUsesOnlyThePublicAPI holds the bench module (its own go.mod, so the test of
// this module's packages above does not list it) to the rule examples follow: a
// benchmark times what a user's program can do, so it imports kindling only through
// dataset. Imports are read from the source, so no comparison engine is downloaded.
func TestBenchUsesOnlyThePublicAPI(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir("../../bench", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module+"/") || p == module+"/dataset" || strings.HasPrefix(p, module+"/bench/") {
				continue
			}
			t.Errorf("%s imports %s: benchmarks use only %s/dataset", path, p, module)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no Go files found under ../../bench: is the module layout broken?")
	}
}
