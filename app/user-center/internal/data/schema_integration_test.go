//go:build integration

package data

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent/migrate"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
)

// This test runs against the real user_center database, with sql/user_center applied:
//
//	P2P_TEST_MYSQL_ADDR=127.0.0.1:3306 (or a socket path) P2P_TEST_DB_USER=... \
//	P2P_TEST_DB_PASSWORD=... go test -tags integration -run TestSchemaMatchesSQL ./internal/data/
//
// It fails, rather than skips, without that database: a skipped run proves nothing. It
// only reads the catalog (information_schema), so the service's own DML-only user will do.

// openSchemaTestClient opens an ent client on the user_center database the way the service
// does (pkg/database), closed when the test ends.
func openSchemaTestClient(t *testing.T) *ent.Client {
	t.Helper()
	addr := os.Getenv("P2P_TEST_MYSQL_ADDR")
	user := os.Getenv("P2P_TEST_DB_USER")
	password, hasPassword := os.LookupEnv("P2P_TEST_DB_PASSWORD")
	if addr == "" || user == "" || !hasPassword {
		t.Fatal("integration tests need P2P_TEST_MYSQL_ADDR, P2P_TEST_DB_USER and P2P_TEST_DB_PASSWORD " +
			"(a MariaDB with the user_center database and sql/user_center applied)")
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, "user_center"
	cfg.Net, cfg.Addr = "tcp", addr
	if strings.HasPrefix(addr, "/") {
		cfg.Net = "unix"
	}
	db, err := database.Open(context.Background(), &pconf.Database{Dsn: cfg.FormatDSN()})
	if err != nil {
		t.Fatal(err)
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.MySQL, db)))
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("close database: %v", err)
		}
	})
	return client
}

// TestSchemaMatchesSQL asks ent what it would change to reach its schema from the
// database the versioned SQL built: nothing, or the two have drifted apart. Allowing drops
// makes an index or column that only the SQL has show up too (ent proposes no drops by
// default); tables ent does not know, such as schema_migrations, are left alone.
func TestSchemaMatchesSQL(t *testing.T) {
	t.Parallel()
	client := openSchemaTestClient(t)
	var plan bytes.Buffer
	if err := client.Schema.WriteTo(context.Background(), &plan,
		migrate.WithDropIndex(true), migrate.WithDropColumn(true)); err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(plan.String()); s != "" && s != "BEGIN;\nCOMMIT;" {
		t.Fatalf("sql/user_center differs from the ent schema; ent would run:\n%s", s)
	}
}
