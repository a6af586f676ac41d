// Package schema describes repayment's tables for ent. The tables themselves are created by
// the versioned SQL in sql/repayment, which must match these descriptions
// (TestSchemaMatchesSQL in internal/data checks that they do).
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Column types of the versioned SQL; ent's defaults (timestamp, bigint) would differ.
var (
	amountType   = map[string]string{dialect.MySQL: "decimal(20,2)"}
	dateType     = map[string]string{dialect.MySQL: "date"}
	datetimeType = map[string]string{dialect.MySQL: "datetime(6)"}
	intType      = map[string]string{dialect.MySQL: "int"} // ent maps Go int to bigint
)

// amount is a DECIMAL(20,2) sum of money, exact to the cent.
func amount(name string) ent.Field {
	return field.Other(name, money.Amount{}).SchemaType(amountType)
}

// timestamps are the created_at/updated_at pair every plan row carries; the code sets both.
func timestamps() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetimeType).Immutable(),
		field.Time("updated_at").SchemaType(datetimeType),
	}
}
