// Package schema describes bank-custody's tables for ent. The tables themselves are
// created by the versioned SQL in sql/bank_custody, which must match these descriptions.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"

	"github.com/p2p-dtx/p2p-dtx/pkg/money"
)

// Column types of the versioned SQL; ent's defaults (timestamp, bigint, longtext) would
// differ.
var (
	amountType   = map[string]string{dialect.MySQL: "decimal(20,2)"}
	datetimeType = map[string]string{dialect.MySQL: "datetime(6)"}
	intType      = map[string]string{dialect.MySQL: "int"}
	textType     = map[string]string{dialect.MySQL: "text"}
)

// amount is a NOT NULL DECIMAL(20,2) sum of money, exact to the cent.
func amount(name string) ent.Field {
	return field.Other(name, money.Amount{}).SchemaType(amountType)
}

// zeroAmount is an amount that starts at 0.00.
func zeroAmount(name string) ent.Field {
	return field.Other(name, money.Amount{}).SchemaType(amountType).
		Default(money.Amount{}).Annotations(entsql.Default("0.00"))
}

// optionalAmount is an amount that may be NULL (*money.Amount in Go).
func optionalAmount(name string) ent.Field {
	return field.Other(name, money.Amount{}).SchemaType(amountType).Optional().Nillable()
}

// stringID is a string primary key stored in column; the Go field is still ID.
func stringID(column string, maxLen int) ent.Field {
	return field.String("id").StorageKey(column).MaxLen(maxLen).NotEmpty().Immutable()
}

func createdAt() ent.Field {
	return field.Time("created_at").SchemaType(datetimeType).Default(time.Now).Immutable()
}

func updatedAt() ent.Field {
	return field.Time("updated_at").SchemaType(datetimeType).Default(time.Now).UpdateDefault(time.Now)
}
