package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LoanMessage is one start-repayment transactional message: written PENDING before the
// half message is sent, settled COMMITTED by the loan's local transaction or ROLLED_BACK
// when that fails (or never ran). The broker's check-back answers from it.
type LoanMessage struct{ ent.Schema }

func (LoanMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "loan_message"}}
}

func (LoanMessage) Fields() []ent.Field {
	return append([]ent.Field{
		field.Int64("id"),
		// Carried by the message so a check-back finds its row.
		field.String("message_key").MaxLen(64).Immutable(),
		field.Int64("project_id").Immutable(),
		field.String("state").MaxLen(16),
		// The outbox (sql/trade_center/V004): when repayment's plan was seen, and the
		// re-publisher's last send and count.
		field.Time("confirmed_at").SchemaType(datetimeType).Optional().Nillable(),
		field.Time("republished_at").SchemaType(datetimeType).Optional().Nillable(),
		field.Int32("republish_count").Default(0),
	}, timestamps()...)
}

func (LoanMessage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("message_key").Unique().StorageKey("uk_loan_message_key"),
		index.Fields("project_id").StorageKey("idx_loan_message_project"),
		index.Fields("state", "confirmed_at").StorageKey("idx_loan_message_unconfirmed"),
	}
}
