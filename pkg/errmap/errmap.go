// Package errmap checks, in a service's tests, that every error its biz package declares
// reaches the API as a documented reason and HTTP status — and that none is forgotten:
// the biz package's source is read for its exported Err… variables, so a new error
// without a row in the test's table fails the test instead of turning into a silent 500.
package errmap

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
)

// Row is what one biz error becomes at the API.
type Row struct {
	Name   string // the biz variable, e.g. "ErrForbidden"
	Err    error  // its value
	Code   int    // HTTP status
	Reason string // the API's error reason; "" for an error that never leaves the service
	// Internal explains why an error has no reason of its own: it is handled inside the
	// service and never answered (it would be a 500).
	Internal string
	// Via is the mapping this error goes through when it is not Check's (a service with
	// several APIs, e.g. the public one and its DTM branches).
	Via func(error) error
}

// Check fails t unless table has a row for every exported Err… variable declared in the
// non-test Go files of bizDir, and map, given each error wrapped with context, answers
// the row's code and reason.
func Check(t *testing.T, bizDir string, mapErr func(error) error, table []Row) {
	t.Helper()
	declared, err := Declared(bizDir)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range table {
		rows[r.Name] = r
	}
	for _, name := range declared {
		if _, ok := rows[name]; !ok {
			t.Errorf("biz.%s has no row: say which reason and status it reaches the API with", name)
		}
	}
	for _, r := range table {
		if r.Internal != "" {
			if r.Reason != "" {
				t.Errorf("%s: an internal error has no reason", r.Name)
			}
			continue
		}
		via := mapErr
		if r.Via != nil {
			via = r.Via
		}
		got := kerrors.FromError(via(fmt.Errorf("context of the failure: %w", r.Err)))
		if int(got.Code) != r.Code || got.Reason != r.Reason {
			t.Errorf("%s reaches the API as %d %q, want %d %q", r.Name, got.Code, got.Reason, r.Code, r.Reason)
		}
	}
}

// Declared lists the exported package-level variables named Err… in dir's non-test Go
// files.
func Declared(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	if len(names) == 0 {
		return nil, errors.New("errmap: no Err… variables in " + dir)
	}
	sort.Strings(names)
	return names, nil
}
