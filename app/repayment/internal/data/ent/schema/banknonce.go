package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankNonce is the nonce of a signed answer from the bank seen inside its validity
// window; pkg/signing.SQLNonceStore writes it with plain SQL.
type BankNonce struct{ ent.Schema }

func (BankNonce) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "bank_nonce"}}
}

func (BankNonce) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").StorageKey("nonce").MaxLen(128).NotEmpty().Immutable(),
		// After this the timestamp check refuses the answer anyway, so the row can go.
		field.Time("expires_at").SchemaType(datetimeType),
	}
}

func (BankNonce) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at").StorageKey("idx_bank_nonce_expires")}
}
