// Package dbtest gives the services' integration tests (build tag integration) the real
// MariaDB the local stack runs — never a fake — and the schema-drift check they share.
//
//	P2P_TEST_MYSQL_ADDR=127.0.0.1:3306 (or a socket path) P2P_TEST_DB_USER=… \
//	P2P_TEST_DB_PASSWORD=… go test -tags integration ./internal/data/
//
// `make test` sets these to each service's own least-privilege login.
package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"
	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
)

// DSN is the go-sql-driver DSN of database db from the environment. Without the
// environment it fails the test rather than skipping it: a skipped run proves nothing.
func DSN(t testing.TB, db string) string {
	t.Helper()
	addr := os.Getenv("P2P_TEST_MYSQL_ADDR")
	user := os.Getenv("P2P_TEST_DB_USER")
	password, hasPassword := os.LookupEnv("P2P_TEST_DB_PASSWORD")
	if addr == "" || user == "" || !hasPassword {
		t.Fatalf("integration tests need P2P_TEST_MYSQL_ADDR, P2P_TEST_DB_USER and P2P_TEST_DB_PASSWORD "+
			"(a MariaDB with the %s database and sql/%s applied; make test provides it)", db, db)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, db
	cfg.Net, cfg.Addr = "tcp", addr
	if strings.HasPrefix(addr, "/") {
		cfg.Net = "unix"
	}
	return cfg.FormatDSN()
}

// Open connects to database db the way the services do (pkg/database) and closes it when
// the test ends.
func Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	pool, err := database.Open(context.Background(), &conf.Database{Dsn: DSN(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pool.Close(); err != nil {
			t.Errorf("close %s: %v", db, err)
		}
	})
	return pool
}

// WritePlan is ent's (*migrate.Schema).WriteTo: it writes the statements ent would run to
// bring the database to its schema.
type WritePlan func(ctx context.Context, w io.Writer, opts ...schema.MigrateOption) error

// NoDrift fails unless ent would change nothing in the database the versioned SQL in
// sql/<db> built. Drops are allowed so that an index or column only the SQL has shows up
// too (ent proposes no drops by default); tables ent does not know, such as
// schema_migrations, are left alone. It only reads the catalog, so a DML-only login will do.
func NoDrift(t testing.TB, db string, write WritePlan) {
	t.Helper()
	var plan bytes.Buffer
	if err := write(context.Background(), &plan, schema.WithDropIndex(true), schema.WithDropColumn(true)); err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(plan.String()); s != "" && s != "BEGIN;\nCOMMIT;" {
		t.Fatalf("sql/%s differs from the ent schema; ent would run:\n%s", db, s)
	}
}
