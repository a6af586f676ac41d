// Package data implements biz's repositories on repayment's MariaDB database via ent, and
// the RocketMQ consumer of trade-center's start-repayment message.
package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewPlanRepo, NewFaults, NewStartRepaymentConsumer)

// Data holds the connection pool and the ent client over it.
type Data struct {
	db  *sql.DB
	ent *ent.Client
}

// NewData opens the database; the cleanup closes it.
func NewData(c *conf.Bootstrap, logger log.Logger) (*Data, func(), error) {
	db, err := database.Open(context.Background(), c.GetDatabase())
	if err != nil {
		return nil, nil, err
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB("mysql", db)))
	helper := log.NewHelper(logger)
	cleanup := func() {
		if err := client.Close(); err != nil {
			helper.Errorw("msg", "close database", "err", err)
		}
	}
	return &Data{db: db, ent: client}, cleanup, nil
}

// Ping reports whether the database answers; /healthz uses it.
func (d *Data) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// InTx runs fn in one local transaction: committed when fn returns nil, rolled back
// otherwise.
func (d *Data) InTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	tx, err := d.ent.Tx(ctx)
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

// NewFaults returns repayment's fault points, or nil (never firing) unless faults.enabled.
func NewFaults(c *conf.Bootstrap) *faults.Registry {
	if !c.GetFaults().GetEnabled() {
		return nil
	}
	return faults.New(biz.FaultPlanConsumeFail)
}
