package dataset

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestAliasesDocumentedWhereImported checks what `go doc dataset.X` shows for the types
// that are aliases of lower packages' (a user imports dataset, not datasource or plan):
// CSVOptions' doc lists every field, and each enumeration's constants are declared with
// the dataset type's name (so go doc lists them under it) and named in its doc.
func TestAliasesDocumentedWhereImported(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/kindling-data/kindling/dataset")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]*doc.Type{}
	for _, ty := range p.Types {
		types[ty.Name] = ty
	}

	csv := types["CSVOptions"]
	if csv == nil {
		t.Fatal("no CSVOptions type")
	}
	rt := reflect.TypeFor[CSVOptions]()
	for i := range rt.NumField() {
		if f := rt.Field(i); f.IsExported() && !strings.Contains(csv.Doc, "\t"+f.Name+" ") {
			t.Errorf("CSVOptions' doc does not list its field %s", f.Name)
		}
	}

	for name, consts := range map[string][]string{
		"JoinKind":     {"Inner", "LeftOuter", "RightOuter", "FullOuter", "LeftSemi", "LeftAnti"},
		"StorageLevel": {"None", "MemoryOnly", "MemoryAndDisk", "DiskOnly", "MemoryOnlySer", "MemoryAndDiskSer"},
		"ParseMode":    {"FailFast", "Permissive", "DropMalformed"},
	} {
		ty := types[name]
		if ty == nil {
			t.Errorf("no type %s", name)
			continue
		}
		grouped := map[string]bool{}
		for _, v := range ty.Consts {
			for _, n := range v.Names {
				grouped[n] = true
			}
		}
		for _, c := range consts {
			if !grouped[c] {
				t.Errorf("%s is not declared as a %s, so go doc %s does not list it", c, name, name)
			}
			if !strings.Contains(ty.Doc, c) {
				t.Errorf("%s's doc does not name %s", name, c)
			}
		}
	}
}
