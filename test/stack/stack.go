// Package stack tells acceptance tests where the running local stack is: service
// endpoints, DTM, RocketMQ and an inspection login to MariaDB. It reads what
// scripts/stack.sh wrote into the run directory (P2P_RUN_DIR, default <repo>/.run).
package stack

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Service is one platform service's addresses.
type Service struct {
	Name string
	HTTP string // base URL, e.g. http://127.0.0.1:8010
	GRPC string // host:port
	DB   string // its database
}

// Services of the platform with their default ports (API.md).
var Services = []Service{
	{"unified-account", "http://127.0.0.1:8010", "127.0.0.1:9010", "unified_account"},
	{"user-center", "http://127.0.0.1:8020", "127.0.0.1:9020", "user_center"},
	{"trade-center", "http://127.0.0.1:8030", "127.0.0.1:9030", "trade_center"},
	{"repayment", "http://127.0.0.1:8040", "127.0.0.1:9040", "repayment"},
	{"bank-custody", "http://127.0.0.1:8050", "127.0.0.1:9050", "bank_custody"},
}

// Endpoints of the infrastructure.
const (
	DTMHTTP         = "http://127.0.0.1:36789/api/dtmsvr"
	DTMGRPC         = "127.0.0.1:36790"
	RocketMQNamesrv = "127.0.0.1:9876"
)

// Env is the run directory's variables (secrets.env and stack.env).
type Env map[string]string

var (
	loadOnce sync.Once
	loaded   Env
	loadErr  error
)

// Load reads the run directory's env files once per test binary. A test that needs the
// stack fails (never skips) when it is not there: `make test` starts it.
func Load(t testing.TB) Env {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = readRunDir() })
	if loadErr != nil {
		t.Fatalf("local stack not found (%v): run `make up`, or `make test` which starts it", loadErr)
	}
	return loaded
}

// RunDir is P2P_RUN_DIR or <repo>/.run.
func RunDir() (string, error) {
	if d := os.Getenv("P2P_RUN_DIR"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, ".run"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the working directory")
		}
		dir = parent
	}
}

func readRunDir() (Env, error) {
	dir, err := RunDir()
	if err != nil {
		return nil, err
	}
	env := Env{"P2P_RUN_DIR": dir}
	for _, f := range []string{"secrets.env", "stack.env"} {
		if err := readEnvFile(filepath.Join(dir, f), env); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// readEnvFile parses KEY=VALUE lines (optionally "export ", optionally quoted).
func readEnvFile(path string, into Env) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		into[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return sc.Err()
}

// MySQLAddr is the stack's MariaDB host:port.
func (e Env) MySQLAddr() string {
	if a := e["P2P_MYSQL_ADDR"]; a != "" {
		return a
	}
	port := e["P2P_MYSQL_PORT"]
	if port == "" {
		port = "3306"
	}
	return "127.0.0.1:" + port
}

// Inspect opens database db with the stack's read-and-clean-up login (p2p_inspect), which
// tests use to assert rows and to remove what they created.
func (e Env) Inspect(t testing.TB, db string) *sql.DB {
	t.Helper()
	pw, ok := e["P2P_INSPECT_PASSWORD"]
	if !ok {
		t.Fatal("P2P_INSPECT_PASSWORD missing from the run directory's secrets.env")
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "p2p_inspect", pw, "tcp", e.MySQLAddr(), db
	cfg.ParseTime = true
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Errorf("close %s: %v", db, err)
		}
	})
	return conn
}
