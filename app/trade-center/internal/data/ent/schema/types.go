// Package schema describes trade-center's tables for ent. The tables themselves are
// created by the versioned SQL in sql/trade_center, which must match these descriptions.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Column types of the versioned SQL; ent's defaults (timestamp, bigint) would differ.
var (
	amountType   = map[string]string{dialect.MySQL: "decimal(20,2)"}
	rateType     = map[string]string{dialect.MySQL: "decimal(9,6)"}
	datetimeType = map[string]string{dialect.MySQL: "datetime(6)"}
	intType      = map[string]string{dialect.MySQL: "int"} // ent maps Go int to bigint
)

// amount is a DECIMAL(20,2) sum of money, exact to the cent.
func amount(name string) ent.Field {
	return field.Other(name, money.Amount{}).SchemaType(amountType)
}

// rate is a DECIMAL(9,6) interest rate.
func rate(name string) ent.Field {
	return field.Other(name, money.Rate{}).SchemaType(rateType)
}

// timestamps are the created_at/updated_at pair every mutable table carries.
func timestamps() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetimeType).Default(time.Now).Immutable(),
		field.Time("updated_at").SchemaType(datetimeType).Default(time.Now).UpdateDefault(time.Now),
	}
}
