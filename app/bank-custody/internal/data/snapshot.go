package data

import (
	"context"
	"database/sql"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

type snapshot struct{ data *Data }

// NewSnapshot runs reads in one read-only REPEATABLE READ transaction: InnoDB answers
// every read in it from the snapshot of its first read, so sums over several tables
// agree (the totals query).
func NewSnapshot(d *Data) biz.Snapshot { return snapshot{data: d} }

func (s snapshot) InSnapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.data.HasTx(ctx) {
		return fn(ctx)
	}
	begin := func(ctx context.Context) (*sql.Tx, error) {
		return s.data.DB().BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	// The transaction reaches the repositories the one way there is: bound in the context.
	return entx.RunInTx(ctx, begin, func(tx *sql.Tx) error {
		return fn(s.data.Bind(ctx, entx.New(tx)))
	})
}
