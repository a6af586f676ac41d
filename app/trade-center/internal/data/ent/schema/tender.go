package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tender is one investor's investment in a project, backed by money frozen at the bank.
type Tender struct{ ent.Schema }

func (Tender) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "tender"}}
}

func (Tender) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		field.Int64("project_id"),
		field.Int64("investor_id"),
		// The investor's custody user number, from user-center when tendering.
		field.String("investor_user_no").MaxLen(32).Optional().Nillable(),
		amount("amount"),
		field.String("status").MaxLen(16),
		// The request number of the freeze at the bank: a retried tender finds its
		// row instead of freezing the money twice.
		field.String("freeze_request_no").MaxLen(64),
		// Why the bank refused the freeze (FAILED tenders only).
		field.String("failure_reason").MaxLen(255).Optional().Nillable(),
	}, timestamps()...)
}

func (Tender) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("freeze_request_no").Unique().StorageKey("uk_tender_freeze_request_no"),
		index.Fields("project_id").StorageKey("idx_tender_project"),
		// The settler's scan for PENDING tenders.
		index.Fields("status", "created_at").StorageKey("idx_tender_status_created"),
	}
}
