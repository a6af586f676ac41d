package entx

import (
	"context"
	"errors"
	"fmt"
)

// Tx is what an ent-generated *ent.Tx offers.
type Tx interface {
	Commit() error
	Rollback() error
}

// RunInTx opens a transaction with begin, runs fn in it and commits; when fn fails or
// panics it rolls back (a panic is re-raised). Services wrap it in their InTx, which puts
// the transaction's client in the context for their repositories.
func RunInTx[T Tx](ctx context.Context, begin func(context.Context) (T, error), fn func(T) error) error {
	tx, err := begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			if rerr := tx.Rollback(); rerr != nil {
				p = fmt.Sprintf("%v (roll back: %v)", p, rerr)
			}
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
