package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RepaymentPlan is one period of a borrower's repayment plan.
type RepaymentPlan struct{ ent.Schema }

func (RepaymentPlan) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "repayment_plan"}}
}

func (RepaymentPlan) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		field.Int64("project_id"),
		field.Int64("borrower_id"),
		field.Int("period").SchemaType(intType),
		field.Time("due_date").SchemaType(dateType),
		amount("principal"),
		amount("interest"),
		amount("amount"),
		amount("commission"),
		field.String("status").MaxLen(16),
	}, timestamps()...)
}

func (RepaymentPlan) Indexes() []ent.Index {
	// One row per project and period: a redelivered start-repayment message cannot
	// write a second plan.
	return []ent.Index{
		index.Fields("project_id", "period").Unique().StorageKey("uk_repayment_plan_project_period"),
	}
}
