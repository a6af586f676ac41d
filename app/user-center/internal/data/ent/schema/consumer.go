// Package schema declares user-center's tables for ent. The DDL that creates them is
// versioned in sql/user_center, which must match these declarations
// (TestSchemaMatchesSQL in internal/data checks that they do).
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Column types of the versioned SQL; ent's defaults (timestamp) would differ.
var (
	amountType   = map[string]string{dialect.MySQL: "decimal(20,2)"}
	datetimeType = map[string]string{dialect.MySQL: "datetime(6)"}
)

// Consumer is a borrower or an investor; id is the login account's id.
type Consumer struct{ ent.Schema }

func (Consumer) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{
		Table: "consumer",
		// Case-insensitive, unlike ent's default utf8mb4_bin (which the other tables keep):
		// "Alice" and "alice" are one username, as in unified-account's account table, so
		// both sides of a registration reserve the same names.
		Charset:   "utf8mb4",
		Collation: "utf8mb4_general_ci",
	}}
}

func (Consumer) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("username").MaxLen(32),
		field.String("mobile").MaxLen(20),
		field.String("role").MaxLen(16),
		field.String("status").MaxLen(16),
		field.String("custody_status").MaxLen(16),
		field.String("custody_user_no").MaxLen(32).Optional().Nillable(),
		field.String("registration_gid").MaxLen(64),
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
		field.Time("updated_at").SchemaType(datetimeType),
	}
}

func (Consumer) Indexes() []ent.Index {
	return []ent.Index{
		// A registration's Try maps a duplicate key on these names to ErrUsernameTaken and
		// ErrMobileTaken: keep the names.
		index.Fields("username").Unique().StorageKey("uk_consumer_username"),
		index.Fields("mobile").Unique().StorageKey("uk_consumer_mobile"),
		// A registration's Confirm and Cancel find the consumer by its global transaction.
		index.Fields("registration_gid").StorageKey("idx_consumer_registration_gid"),
	}
}

// CustodyRequest is one request the platform sent the bank through the browser gateway:
// opening a custody account, a recharge or a withdrawal.
type CustodyRequest struct{ ent.Schema }

func (CustodyRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "custody_request"}}
}

func (CustodyRequest) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").StorageKey("request_no").MaxLen(64),
		field.Int64("user_id"),
		field.String("kind").MaxLen(16),
		field.String("status").MaxLen(16),
		field.Other("amount", money.Amount{}).SchemaType(amountType).Optional().Nillable(),
		field.String("bank_user_no").MaxLen(32).Optional().Nillable(),
		field.String("failure_reason").MaxLen(255).Optional().Nillable(),
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
		field.Time("updated_at").SchemaType(datetimeType),
		field.Time("completed_at").SchemaType(datetimeType).Optional().Nillable(),
	}
}

func (CustodyRequest) Indexes() []ent.Index {
	return []ent.Index{
		// The reconciliation job scans PENDING requests by age.
		index.Fields("status", "created_at").StorageKey("idx_custody_request_status_created"),
		index.Fields("user_id").StorageKey("idx_custody_request_user"),
	}
}

// Recharge is money credited at the bank, recorded once per successful request.
type Recharge struct{ ent.Schema }

func (Recharge) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "recharge_record"}}
}

func (Recharge) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("request_no").MaxLen(64),
		field.Int64("user_id"),
		field.Other("amount", money.Amount{}).SchemaType(amountType),
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
	}
}

func (Recharge) Indexes() []ent.Index {
	return []ent.Index{
		// One row per request: a duplicate notification of a recharge is harmless.
		index.Fields("request_no").Unique().StorageKey("uk_recharge_record_request_no"),
		// GET /v1/recharges lists one user's recharges in order (sql/user_center/V002).
		index.Fields("user_id", "created_at").StorageKey("idx_recharge_record_user_created"),
	}
}

// Withdrawal is money debited at the bank, recorded once per successful request.
type Withdrawal struct{ ent.Schema }

func (Withdrawal) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "withdrawal_record"}}
}

func (Withdrawal) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("request_no").MaxLen(64),
		field.Int64("user_id"),
		field.Other("amount", money.Amount{}).SchemaType(amountType),
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
	}
}

func (Withdrawal) Indexes() []ent.Index {
	return []ent.Index{
		// One row per request: a duplicate notification of a withdrawal is harmless.
		index.Fields("request_no").Unique().StorageKey("uk_withdrawal_record_request_no"),
		index.Fields("user_id", "created_at").StorageKey("idx_withdrawal_record_user_created"),
	}
}

// CallbackNonce remembers the nonces of the bank's signed notifications inside the
// signature window, so a replayed notification is refused across restarts.
type CallbackNonce struct{ ent.Schema }

func (CallbackNonce) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "callback_nonce"}}
}

func (CallbackNonce) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").StorageKey("nonce").MaxLen(128),
		field.Time("expires_at").SchemaType(datetimeType),
	}
}

func (CallbackNonce) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at").StorageKey("idx_callback_nonce_expires_at")}
}
