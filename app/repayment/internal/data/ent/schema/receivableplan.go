package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ReceivablePlan is one period of what one tender's investor receives.
type ReceivablePlan struct{ ent.Schema }

func (ReceivablePlan) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "receivable_plan"}}
}

func (ReceivablePlan) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		field.Int64("project_id"),
		field.Int64("tender_id"),
		field.Int64("investor_id"),
		// The investor's custody user number, credited when the installment is executed.
		field.String("investor_user_no").MaxLen(32).Optional().Nillable(),
		field.Int("period").SchemaType(intType),
		field.Time("due_date").SchemaType(dateType),
		amount("principal"),
		amount("interest"),
		amount("amount"),
		field.String("status").MaxLen(16),
		field.Time("received_at").SchemaType(datetimeType).Optional().Nillable(),
	}, timestamps()...)
}

func (ReceivablePlan) Indexes() []ent.Index {
	return []ent.Index{
		// One row per tender and period (a tender is of one project), for the same reason
		// as repayment_plan; its prefixes serve a project's rows and one period's rows,
		// which are marked in one statement that touches only them (V004).
		index.Fields("project_id", "period", "tender_id").Unique().StorageKey("uk_receivable_plan_project_period_tender"),
	}
}
