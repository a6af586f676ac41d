//go:build integration

package data

import (
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/dbtest"
)

// TestSchemaMatchesSQL fails when ent's schema and the versioned SQL in sql/user_center drift
// apart (see pkg/dbtest.NoDrift).
func TestSchemaMatchesSQL(t *testing.T) {
	t.Parallel()
	client := ent.NewClient(ent.Driver(entsql.OpenDB("mysql", dbtest.Open(t, "user_center"))))
	dbtest.NoDrift(t, "user_center", client.Schema.WriteTo)
}
