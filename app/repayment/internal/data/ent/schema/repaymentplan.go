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
		// Who the bank knows the project and the borrower as (from the start-repayment
		// message); nil on plans written before they were carried, which are not executed.
		field.String("bank_project_no").MaxLen(64).Optional().Nillable(),
		field.String("borrower_user_no").MaxLen(32).Optional().Nillable(),
		field.Int("period").SchemaType(intType),
		field.Time("due_date").SchemaType(dateType),
		amount("principal"),
		amount("interest"),
		amount("amount"),
		amount("commission"),
		field.String("status").MaxLen(16),
		field.Time("repaid_at").SchemaType(datetimeType).Optional().Nillable(),
	}, timestamps()...)
}

func (RepaymentPlan) Indexes() []ent.Index {
	// One row per project and period: a redelivered start-repayment message cannot
	// write a second plan.
	return []ent.Index{
		index.Fields("project_id", "period").Unique().StorageKey("uk_repayment_plan_project_period"),
		// The repayment run's scan for installments PENDING or OVERDUE and due.
		index.Fields("status", "due_date").StorageKey("idx_repayment_plan_status_due"),
	}
}
