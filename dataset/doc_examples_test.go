package dataset

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryTransformHasAnExample checks the promise of the package doc: every function
// and method that builds an expression, an aggregate or a dataset (the transforms and
// the expression language) has a runnable Example (ExampleName or ExampleType_Method,
// with an optional _suffix), and every expression function is named in the package doc,
// where the functions are listed by family.
func TestEveryTransformHasAnExample(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]bool{}
	var pkgDoc string
	type builder struct{ key, result string }
	var builders []builder
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && !strings.HasSuffix(name, "_test.go") {
			pkgDoc += f.Doc.Text()
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			if strings.HasSuffix(name, "_test.go") {
				if ex, ok := strings.CutPrefix(fd.Name.Name, "Example"); ok {
					examples[ex] = true
				}
				continue
			}
			res := resultType(fd)
			if res != "Expr" && res != "Agg" && res != "*Dataset" {
				continue
			}
			key := fd.Name.Name
			if fd.Recv != nil {
				recv := strings.TrimPrefix(typeString(fd.Recv.List[0].Type), "*")
				if !ast.IsExported(recv) {
					continue
				}
				key = recv + "_" + key
			}
			builders = append(builders, builder{key, res})
		}
	}
	lowerSuffix := regexp.MustCompile(`_[a-z][A-Za-z0-9]*$`)
	covered := map[string]bool{}
	for ex := range examples {
		covered[ex] = true
		covered[lowerSuffix.ReplaceAllString(ex, "")] = true
	}
	for _, b := range builders {
		if !covered[b.key] {
			t.Errorf("%s (returns %s) has no runnable Example%s", strings.ReplaceAll(b.key, "_", "."), b.result, b.key)
		}
		if b.result == "Expr" && !strings.Contains(b.key, "_") && !regexp.MustCompile(`\b`+b.key+`\b`).MatchString(pkgDoc) {
			t.Errorf("expression function %s is not listed in the package doc (doc.go)", b.key)
		}
	}
}

func resultType(fd *ast.FuncDecl) string {
	if fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
		return ""
	}
	return typeString(fd.Type.Results.List[0].Type)
}

func typeString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + typeString(e.X)
	case *ast.IndexExpr:
		return typeString(e.X)
	case *ast.IndexListExpr:
		return typeString(e.X)
	}
	return ""
}
