package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankRequest is the bank's log of every request a platform made, keyed by the
// platform's request number so that a repeated request is recognised.
type BankRequest struct{ ent.Schema }

func (BankRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_request"}}
}

func (BankRequest) Fields() []ent.Field {
	return []ent.Field{
		stringID("request_no", 64),
		field.String("platform_no").MaxLen(32).NotEmpty(),
		// OPEN_ACCOUNT, RECHARGE, WITHDRAW, REGISTER_PROJECT, FREEZE, CONFIRM_LOAN,
		// UNFREEZE or REPAY.
		field.String("service_name").MaxLen(32),
		field.Int64("platform_user_id").Optional().Nillable(),
		field.String("user_no").MaxLen(32).Optional().Nillable(),
		optionalAmount("amount"),
		// PROCESSING, SUCCESS or FAILED.
		field.String("status").MaxLen(16),
		// Where the notifier reports the result; server-to-server calls have none.
		field.String("callback_url").MaxLen(255).Optional().Nillable(),
		field.String("failure_reason").MaxLen(255).Optional().Nillable(),
		// JSON of the request's business fields; never a password.
		field.Text("payload").SchemaType(textType).Optional().Nillable(),
		createdAt(),
		updatedAt(),
		// Hash of the custody password typed on the bank's page, kept only until the
		// poller has opened the account (it then lives on bank_user); NULL otherwise.
		field.String("password_hash").MaxLen(255).Optional().Nillable().Sensitive(),
		// When the result went to TP_BANK_NOTIFY; NULL while it still has to, so a crash
		// between the commit and the publish is repaired by the next poll (V002).
		field.Time("notify_published_at").SchemaType(datetimeType).Optional().Nillable(),
		// W3C traceparent of the call that created the request, so the work done for it
		// later (completion, the notification, the platform's callback) joins that trace
		// (V004).
		field.String("trace_parent").MaxLen(64).Optional().Nillable(),
	}
}

func (BankRequest) Indexes() []ent.Index {
	return []ent.Index{
		// The processor and the result query look for requests by status, oldest first.
		index.Fields("status", "created_at").StorageKey("idx_bank_request_status_created"),
		// The publisher looks for finished gateway requests whose result is not published.
		index.Fields("status", "notify_published_at", "service_name").StorageKey("idx_bank_request_unpublished"),
		// The totals query sums the successful recharges and withdrawals (V003).
		index.Fields("service_name", "status").StorageKey("idx_bank_request_service_status"),
	}
}
