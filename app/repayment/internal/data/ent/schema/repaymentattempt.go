package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RepaymentAttempt is one request sent to the bank for one installment.
type RepaymentAttempt struct{ ent.Schema }

func (RepaymentAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "repayment_attempt"}}
}

func (RepaymentAttempt) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		// The bank's idempotency key (RP…): a repeat or a result query names it.
		field.String("request_no").MaxLen(64).Immutable(),
		field.Int64("project_id").Immutable(),
		field.Int("period").SchemaType(intType).Immutable(),
		field.String("status").MaxLen(16),
		// How many runs took the attempt up; names the DTM message's gid.
		field.Int("claims").SchemaType(intType),
		field.String("run_id").MaxLen(32),
		field.String("failure_reason").MaxLen(255).Optional().Nillable(),
		// The gid of the two-phase message whose local transaction recorded the success.
		field.String("settled_by").MaxLen(64).Optional().Nillable(),
	}, timestamps()...)
}

func (RepaymentAttempt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("request_no").Unique().StorageKey("uk_repayment_attempt_request_no"),
		index.Fields("project_id", "period").StorageKey("idx_repayment_attempt_project_period"),
	}
}
