// Package entx runs ent inside a transaction that someone else opened — DTM's barrier
// hands a branch a *sql.Tx, and an XA branch a connection already inside XA START — so
// the business change commits or rolls back with it.
package entx

import (
	"context"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Driver is an ent driver over an open transaction or XA connection.
//
// ent asks its driver for a new transaction for some writes (UpdateOne, edges); a plain
// entsql.Conn cannot give one and panics. Here Tx returns a no-op wrapper, so those writes
// run in the caller's transaction and its Commit/Rollback stay the caller's.
type Driver struct {
	entsql.Conn
}

// New returns an ent driver that runs every statement on eq (a *sql.Tx or *sql.DB).
func New(eq entsql.ExecQuerier) *Driver {
	return &Driver{Conn: entsql.Conn{ExecQuerier: eq}}
}

// Dialect is MySQL: the platform runs on MariaDB.
func (d *Driver) Dialect() string { return dialect.MySQL }

// Tx returns the caller's transaction wrapped so ent's Commit and Rollback do nothing.
func (d *Driver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }

// Close does nothing: the caller owns the transaction and the connection.
func (d *Driver) Close() error { return nil }
