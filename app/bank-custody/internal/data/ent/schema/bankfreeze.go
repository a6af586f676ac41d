package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankFreeze is money held on an investor's account for one tender, keyed by the
// platform's freeze request number so that a retried freeze holds the money once.
type BankFreeze struct{ ent.Schema }

func (BankFreeze) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_freeze"}}
}

func (BankFreeze) Fields() []ent.Field {
	return []ent.Field{
		stringID("request_no", 64),
		field.String("project_no").MaxLen(64),
		field.String("user_no").MaxLen(32),
		amount("amount"),
		// FROZEN, then TRANSFERRED when the loan is confirmed or UNFROZEN when the
		// project fails; VOIDED when the unfreeze came first and the freeze is refused.
		field.String("status").MaxLen(16),
		createdAt(),
		updatedAt(),
	}
}

func (BankFreeze) Indexes() []ent.Index {
	return []ent.Index{index.Fields("project_no").StorageKey("idx_bank_freeze_project")}
}
