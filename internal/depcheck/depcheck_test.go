// Package depcheck holds the test that keeps kindling's layers pointing one way:
// a lower layer importing a higher one fails it (see ../shared/DESIGN.md).
package depcheck

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kindling-data/kindling"

// allowed lists, for each package, the kindling packages it may import directly; since
// every package is checked, the transitive imports follow the same directions.
// internal/ helpers are allowed everywhere except where listed as forbidden below.
var allowed = map[string][]string{
	"memory":     {},
	"storage":    {"memory"},
	"shuffle":    {"storage", "memory"},
	"datasource": {"memory"},
	"plan":       {},
	"exec":       {"plan", "shuffle", "storage", "memory", "datasource"},
	"dataset":    {"plan", "exec", "storage", "memory", "datasource"},
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
		case top == "internal":
			continue
		}
		ok, known := allowed[top]
		if !known {
			t.Errorf("package %s is not in the layering table: add it to depcheck's allowed map", rel)
			continue
		}
		seen++
		okSet := map[string]bool{top: true}
		for _, a := range ok {
			okSet[a] = true
		}
		for _, d := range p.Imports {
			if !strings.HasPrefix(d, module+"/") {
				continue
			}
			dtop := strings.SplitN(strings.TrimPrefix(d, module+"/"), "/", 2)[0]
			if dtop == "internal" || okSet[dtop] {
				continue
			}
			t.Errorf("%s imports %s: %s may import only %v", rel, strings.TrimPrefix(d, module+"/"), top, ok)
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
