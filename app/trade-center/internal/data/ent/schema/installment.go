package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ProjectInstallment is one repaid installment of a project, recorded by the DTM branch
// RecordInstallmentRepaid. The unique (project_id, period) makes a second report of a
// period a no-op; the surrogate id is there because ent models a single-column key.
type ProjectInstallment struct{ ent.Schema }

func (ProjectInstallment) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "project_installment"}}
}

func (ProjectInstallment) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("project_id").Immutable(),
		field.Int("period").SchemaType(intType).Immutable(),
		// The bank request number of the repayment (RP…), also the DTM gid.
		field.String("request_no").MaxLen(64).Immutable(),
		amount("amount"),
		field.Time("repaid_at").SchemaType(datetimeType).Immutable(),
		field.Time("created_at").SchemaType(datetimeType).Default(time.Now).Immutable(),
	}
}

func (ProjectInstallment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("project_id", "period").Unique().StorageKey("uk_project_installment_period"),
	}
}
