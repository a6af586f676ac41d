package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankUser is a person the bank opened a custody account for, on behalf of a platform.
type BankUser struct{ ent.Schema }

func (BankUser) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_user"}}
}

func (BankUser) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		// The bank's own user number, handed back to the platform.
		field.String("user_no").MaxLen(32).NotEmpty(),
		field.String("platform_no").MaxLen(32).NotEmpty(),
		field.Int64("platform_user_id"),
		field.String("real_name").MaxLen(64),
		field.String("id_number").MaxLen(32),
		field.String("bank_card_no").MaxLen(32),
		// Hash of the custody password the user typed on the bank's page.
		field.String("password_hash").MaxLen(255).Sensitive(),
		createdAt(),
	}
}

func (BankUser) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_no").Unique().StorageKey("uk_bank_user_user_no"),
		// A platform user has at most one custody account.
		index.Fields("platform_no", "platform_user_id").Unique().StorageKey("uk_bank_user_platform_user"),
	}
}
