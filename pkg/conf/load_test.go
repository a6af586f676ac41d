package conf

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadFillsPlaceholdersFromPrefixedEnvironment(t *testing.T) {
	t.Setenv("P2P_DB_USER", "svc")
	t.Setenv("P2P_DB_PASSWORD", "s3cret")
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := `
http:
  addr: 127.0.0.1:8010
  timeout: 5s
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var srv Server
	if err := Load(path, &srv); err != nil {
		t.Fatal(err)
	}
	if got := srv.GetHttp().GetAddr(); got != "127.0.0.1:8010" {
		t.Errorf("http.addr = %q", got)
	}
	if got := srv.GetHttp().GetTimeout().AsDuration(); got != 5*time.Second {
		t.Errorf("http.timeout = %v", got)
	}

	dbPath := filepath.Join(t.TempDir(), "db.yaml")
	if err := os.WriteFile(dbPath, []byte("dsn: ${DB_USER}:${DB_PASSWORD}@tcp(127.0.0.1:3306)/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var db Database
	if err := Load(dbPath, &db); err != nil {
		t.Fatal(err)
	}
	if want := "svc:s3cret@tcp(127.0.0.1:3306)/x"; db.GetDsn() != want {
		t.Errorf("dsn = %q, want %q", db.GetDsn(), want)
	}
}

func TestLoadNamesTheMissingFile(t *testing.T) {
	err := Load(filepath.Join(t.TempDir(), "absent.yaml"), &Server{})
	if err == nil {
		t.Fatal("want an error for a missing file")
	}
}
