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

// Services of the platform, where the running stack has them: P2P_<SERVICE>_HTTP/_GRPC
// from the environment, else the addresses scripts/stack.sh wrote into the run
// directory's stack.env (port overrides included), else API.md's defaults. This is the one place tests, the demo and
// the benchmarks take addresses from.
var Services = servicesOf(runDirEnv())

// Endpoints of the infrastructure, from the same place.
var (
	DTMHTTP         = runDirEnv().or("P2P_DTM_HTTP", "http://127.0.0.1:36789/api/dtmsvr")
	DTMGRPC         = runDirEnv().or("P2P_DTM_GRPC", "127.0.0.1:36790")
	RocketMQNamesrv = runDirEnv().or("P2P_ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	// JaegerQuery is the trace store's query API (and UI).
	JaegerQuery = runDirEnv().or("P2P_JAEGER_QUERY_URL", "http://127.0.0.1:16686")
)

// HTTP is the base URL of the named service ("user-center"), GRPC its host:port.
func HTTP(name string) string { return service(name).HTTP }

// GRPC is the named service's gRPC host:port.
func GRPC(name string) string { return service(name).GRPC }

func service(name string) Service {
	for _, s := range Services {
		if s.Name == name {
			return s
		}
	}
	panic("stack: no service " + name)
}

func servicesOf(env Env) []Service {
	out := make([]Service, 0, 5)
	for i, name := range []string{"unified-account", "user-center", "trade-center", "repayment", "bank-custody"} {
		key := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		out = append(out, Service{
			Name: name,
			HTTP: env.or("P2P_"+key+"_HTTP", fmt.Sprintf("http://127.0.0.1:%d", 8010+10*i)),
			GRPC: env.or("P2P_"+key+"_GRPC", fmt.Sprintf("127.0.0.1:%d", 9010+10*i)),
			DB:   strings.ReplaceAll(name, "-", "_"),
		})
	}
	return out
}

var (
	runEnvOnce sync.Once
	runEnv     Env
)

// runDirEnv is the run directory's stack.env, or nothing when the stack never ran
// (Load then says so to the test that needs it).
func runDirEnv() Env {
	runEnvOnce.Do(func() {
		runEnv = Env{}
		dir, err := RunDir()
		if err != nil {
			return
		}
		if err := readEnvFile(filepath.Join(dir, "stack.env"), runEnv); err != nil && !os.IsNotExist(err) {
			fmt.Fprintln(os.Stderr, "stack: reading stack.env:", err)
		}
	})
	return runEnv
}

// or is the value of key — from the process's environment first (the compose demo
// container sets P2P_<SERVICE>_HTTP), then from e — or def when neither has it.
func (e Env) or(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return strings.TrimRight(v, "/")
	}
	if v := e[key]; v != "" {
		return strings.TrimRight(v, "/")
	}
	return def
}

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

// ReadRunDir reads the run directory's env files, for programs that have no testing.TB.
func ReadRunDir() (Env, error) { return readRunDir() }

func readRunDir() (Env, error) {
	dir, err := RunDir()
	if err != nil {
		return nil, err
	}
	return ReadRunDirAt(dir)
}

// ReadRunDirAt reads the env files of the run directory dir, for a program told where
// it is (a -run-dir flag).
func ReadRunDirAt(dir string) (Env, error) {
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
		// Idle connections go first, and database/sql ignores what closing them answers:
		// one MariaDB dropped meanwhile (a test restarted it) cannot say goodbye, and
		// that is no failure of the test.
		conn.SetMaxIdleConns(0)
		if err := conn.Close(); err != nil {
			t.Errorf("close %s: %v", db, err)
		}
	})
	return conn
}
