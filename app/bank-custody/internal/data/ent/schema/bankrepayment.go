package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankRepayment is one installment the bank paid out: the borrower debited, the
// investors and the platform's fee account credited. Only successful repayments have a
// row, so (project_no, period) is unique among them (V003).
type BankRepayment struct{ ent.Schema }

func (BankRepayment) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_repayment"}}
}

func (BankRepayment) Fields() []ent.Field {
	return []ent.Field{
		stringID("request_no", 64),
		field.String("project_no").MaxLen(64),
		field.Int("period").SchemaType(intType),
		field.String("borrower_user_no").MaxLen(32),
		amount("amount"),
		amount("commission"),
		// How many credits the installment paid out.
		field.Int("credits").SchemaType(intType),
		createdAt(),
	}
}

func (BankRepayment) Indexes() []ent.Index {
	// An installment is paid at most once, whatever the request number.
	return []ent.Index{index.Fields("project_no", "period").Unique().StorageKey("uk_bank_repayment_period")}
}
