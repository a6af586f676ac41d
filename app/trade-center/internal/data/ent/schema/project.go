package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Project is a loan listing: what a borrower asks for and how much investors have raised.
type Project struct{ ent.Schema }

func (Project) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{
		Table: "project",
		// The database refuses an over-raised project even if a code path forgets to lock.
		Checks: map[string]string{
			"chk_project_raised_le_amount":   "`raised` <= `amount`",
			"chk_project_raised_nonnegative": "`raised` >= 0",
		},
	}}
}

func (Project) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		field.Int64("borrower_id"),
		// The borrower's custody user number, from user-center at publication.
		field.String("borrower_user_no").MaxLen(32).Optional().Nillable(),
		field.String("name").MaxLen(64),
		amount("amount"),
		field.Other("raised", money.Amount{}).SchemaType(amountType).
			Default(money.Amount{}).Annotations(entsql.Default("0.00")),
		// The borrower's rate; investors earn investor_rate, the spread is the commission.
		rate("annual_rate"),
		rate("investor_rate"),
		field.Int("periods").SchemaType(intType),
		// How many days the project collects once the review opened it (1..90).
		field.Int("collect_days").SchemaType(intType).Default(7),
		// Set when the review opens the project: opened + collect_days. A COLLECTING
		// project past it is failed by the collection run.
		field.Time("collect_deadline").SchemaType(datetimeType).Optional().Nillable(),
		field.String("status").MaxLen(20),
		// Set when the bank has registered the project.
		field.String("bank_project_no").MaxLen(64).Optional().Nillable(),
		// The bank request number of the loan confirmation; unique so a retried
		// approval reuses it instead of transferring twice.
		field.String("loan_request_no").MaxLen(64).Optional().Nillable(),
		field.Time("loaned_at").SchemaType(datetimeType).Optional().Nillable(),
		// When the project became FAILED (collection run or rejected loan).
		field.Time("failed_at").SchemaType(datetimeType).Optional().Nillable(),
	}, timestamps()...)
}

func (Project) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("loan_request_no").Unique().StorageKey("uk_project_loan_request_no"),
		index.Fields("status").StorageKey("idx_project_status"),
		// The collection run's scan for COLLECTING projects past their deadline.
		index.Fields("status", "collect_deadline").StorageKey("idx_project_status_deadline"),
	}
}
