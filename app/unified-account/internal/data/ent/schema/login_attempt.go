package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// LoginAttempt is the failed logins under one normalised login (biz.LoginAttempts); the
// row is shared by every instance, so a lock holds whichever instance a client reaches.
type LoginAttempt struct{ ent.Schema }

func (LoginAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{
		Table: "login_attempt",
		// The account table's collation: a login that finds an account under several
		// spellings is counted under one key.
		Charset:   "utf8mb4",
		Collation: "utf8mb4_general_ci",
	}}
}

func (LoginAttempt) Fields() []ent.Field {
	return []ent.Field{
		// The normalised login (biz.NormaliseLogin), at most biz.MaxLoginLen characters.
		field.String("id").StorageKey("login").MaxLen(32).NotEmpty().Immutable(),
		field.Int("failures").NonNegative(),
		field.Time("window_start").SchemaType(datetimeType),
		field.Time("locked_until").SchemaType(datetimeType).Optional().Nillable(),
		field.Time("updated_at").SchemaType(datetimeType),
	}
}
