package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// NotificationAttempt is one try of the bank's notifier to deliver a request's result to
// the platform's callback URL.
type NotificationAttempt struct{ ent.Schema }

func (NotificationAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "notification_attempt"}}
}

func (NotificationAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("request_no").MaxLen(64).NotEmpty(),
		// 1 for the first delivery, counting up with every redelivery.
		field.Int("attempt").SchemaType(intType),
		field.Time("attempted_at").SchemaType(datetimeType),
		// The platform's HTTP status; 0 when it could not be reached at all.
		field.Int("http_status").SchemaType(intType),
		field.String("error").MaxLen(255).Optional().Nillable(),
	}
}

func (NotificationAttempt) Indexes() []ent.Index {
	// A redelivered message records its attempt once.
	return []ent.Index{
		index.Fields("request_no", "attempt").Unique().StorageKey("uk_notification_attempt_request_attempt"),
	}
}
