package errmap

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDeclaredFindsExportedErrorVariablesOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `package biz

import "errors"

var (
	ErrA = errors.New("a")
	errHidden = errors.New("hidden")
	Other = 1
)

var ErrB = errors.New("b")
`
	if err := os.WriteFile(filepath.Join(dir, "biz.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "biz_test.go"), []byte("package biz\n\nvar ErrInTest = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Declared(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "ErrA" || got[1] != "ErrB" {
		t.Fatalf("Declared = %v, want [ErrA ErrB]", got)
	}
}
