// Package schema declares unified-account's tables for ent. The DDL that creates them is
// versioned in sql/unified_account, which must match these declarations
// (TestSchemaMatchesSQL in internal/data checks that they do).
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Column types of the versioned SQL; ent's default for time.Time is timestamp.
var datetimeType = map[string]string{dialect.MySQL: "datetime(6)"}

// Account is a login account. Its id is the platform-wide user id.
type Account struct{ ent.Schema }

func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{
		Table: "account",
		// Case-insensitive, unlike ent's default utf8mb4_bin: "Alice" and "alice" are one
		// username, both for the unique key and for logging in. user-center's consumer
		// table uses the same collation, so both sides of a registration agree.
		Charset:   "utf8mb4",
		Collation: "utf8mb4_general_ci",
	}}
}

func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("username").MaxLen(32),
		field.String("mobile").MaxLen(20),
		field.String("password_hash").MaxLen(255).Sensitive(),
		field.String("role").MaxLen(16),
		field.String("status").MaxLen(16),
		// The DTM global transaction that created the account; empty for the admin.
		field.String("registration_gid").MaxLen(64).Optional(),
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
		field.Time("updated_at").SchemaType(datetimeType),
	}
}

func (Account) Indexes() []ent.Index {
	return []ent.Index{
		// The data layer maps a duplicate key on these names to ErrUsernameTaken and
		// ErrMobileTaken: keep the names.
		index.Fields("username").Unique().StorageKey("uk_account_username"),
		index.Fields("mobile").Unique().StorageKey("uk_account_mobile"),
		// A registration's Confirm and Cancel find the account by its global transaction.
		index.Fields("registration_gid").StorageKey("idx_account_registration_gid"),
	}
}
