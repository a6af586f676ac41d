package entx

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"
)

// A repository's read of one row comes in two kinds, Get and Lock: the same query, plain
// or FOR UPDATE. Only is both, so the guard that a locking read runs inside a transaction
// is written once.

// Query is what an ent-generated query offers for a read of one row that may lock it
// (Q is the query type itself, R the row's type).
type Query[Q, R any] interface {
	ForUpdate(opts ...entsql.LockOption) Q
	Only(ctx context.Context) (R, error)
}

// TxGuard refuses a locking read outside a transaction (Store.RequireTx).
type TxGuard interface {
	RequireTx(ctx context.Context) error
}

// Only reads q's one row; with lock it reads FOR UPDATE, and only inside a transaction
// (ErrNoTx from guard otherwise, before anything is read). Errors are ent's: the caller
// maps not-found onto its own.
func Only[Q Query[Q, R], R any](ctx context.Context, guard TxGuard, q Q, lock bool) (R, error) {
	if lock {
		if err := guard.RequireTx(ctx); err != nil {
			var none R
			return none, err
		}
		q = q.ForUpdate()
	}
	return q.Only(ctx)
}

// Rows maps the rows of a list read onto their domain values, in order.
func Rows[R, T any](rows []R, to func(R) T) []T {
	out := make([]T, 0, len(rows))
	for _, row := range rows {
		out = append(out, to(row))
	}
	return out
}
