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
		amount("amount"),
		field.String("status").MaxLen(16),
		// The request number of the freeze at the bank: a retried tender finds its
		// row instead of freezing the money twice.
		field.String("freeze_request_no").MaxLen(64),
	}, timestamps()...)
}

func (Tender) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("freeze_request_no").Unique().StorageKey("uk_tender_freeze_request_no"),
		index.Fields("project_id").StorageKey("idx_tender_project"),
	}
}
