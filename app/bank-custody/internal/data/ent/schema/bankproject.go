package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankProject is a platform's loan project as registered at the bank, which collects the
// frozen tenders and transfers them to the borrower on loan confirmation.
type BankProject struct{ ent.Schema }

func (BankProject) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_project"}}
}

func (BankProject) Fields() []ent.Field {
	return []ent.Field{
		stringID("project_no", 64),
		field.Int64("platform_project_id"),
		field.String("borrower_user_no").MaxLen(32),
		amount("amount"),
		// What the project's freezes hold (FROZEN or TRANSFERRED): kept with every freeze
		// and unfreeze under the project's lock.
		zeroAmount("held"),
		// COLLECTING or LOANED.
		field.String("status").MaxLen(16),
		createdAt(),
		updatedAt(),
	}
}

func (BankProject) Indexes() []ent.Index {
	// Registering the same platform project twice finds the first registration.
	return []ent.Index{index.Fields("platform_project_id").Unique().StorageKey("uk_bank_project_platform_project")}
}
