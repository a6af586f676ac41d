package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APINonce is a nonce of a signed call seen inside its validity window; a second call
// with the same nonce is a replay.
type APINonce struct{ ent.Schema }

func (APINonce) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "api_nonce"}}
}

func (APINonce) Fields() []ent.Field {
	return []ent.Field{
		stringID("nonce", 128),
		// After this the timestamp check refuses the call anyway, so the row can go.
		field.Time("expires_at").SchemaType(datetimeType),
	}
}

func (APINonce) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at").StorageKey("idx_api_nonce_expires")}
}
