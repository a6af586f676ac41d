// Package layout checks rules of the codebase's shape that the compiler does not: which
// layer may import which (STYLE.md, habit 1). It needs no running stack.
package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/p2p-dtx/p2p-dtx"

// forbiddenInBiz are the import paths biz must not reach: biz owns the domain and the
// interfaces it needs; data, service and server implement or call them, and the API
// types belong to the service layer.
func forbiddenInBiz(path string) bool {
	if strings.HasPrefix(path, module+"/api/") {
		return true
	}
	for _, layer := range []string{"/internal/data", "/internal/service", "/internal/server"} {
		if strings.HasPrefix(path, module+"/app/") && strings.Contains(path, layer) {
			return true
		}
	}
	return false
}

func TestBizImportsNoDataServiceServerOrAPI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "app", "*", "internal", "biz", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := filepath.Glob(filepath.Join(repoRoot(t), "app", "*", "internal", "biz", "*", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sub...)
	if len(files) < 10 {
		t.Fatalf("found only %d biz files: is the layout still app/<svc>/internal/biz?", len(files))
	}
	fset := token.NewFileSet()
	for _, f := range files {
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if forbiddenInBiz(path) {
				rel, _ := filepath.Rel(repoRoot(t), f) //nolint:errcheck // only for the message
				t.Errorf("%s imports %s: biz may import no data, service, server or API package", rel, path)
			}
		}
	}
}

func TestTheRuleCatchesWhatItShould(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		module + "/api/trade-center/v1":                 true,
		module + "/app/trade-center/internal/data":      true,
		module + "/app/trade-center/internal/data/ent":  true,
		module + "/app/user-center/internal/service":    true,
		module + "/app/bank-custody/internal/server":    true,
		module + "/app/trade-center/internal/biz/fakes": false,
		module + "/pkg/money":                           false,
		"github.com/go-kratos/kratos/v2/log":            false,
		"context":                                       false,
	} {
		if got := forbiddenInBiz(path); got != want {
			t.Errorf("forbiddenInBiz(%q) = %v, want %v", path, got, want)
		}
	}
}

// repoRoot is the directory holding go.work, above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}
