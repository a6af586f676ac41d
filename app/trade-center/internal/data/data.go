// Package data implements biz's repositories on trade-center's MariaDB database via ent,
// and its adapters to the outside: the custody bank (signed HTTP), user-center (HTTP)
// and the RocketMQ producer of the start-repayment transactional message.
package data

import (
	"context"
	"database/sql"
	"errors"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data/ent"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewTransaction, NewProjectRepo, NewTenderRepo, NewLoanMessageRepo,
	NewFaults, NewLendingRules, NewCheckBackGrace, NewBankNonces, NewBank, NewCustodyDirectory,
	NewStartRepaymentProducer, wire.Bind(new(biz.LoanMessenger), new(*StartRepaymentProducer)))

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

type txClientKey struct{}

// client is the transaction's ent client when ctx carries one, else the pool's.
func (d *Data) client(ctx context.Context) *ent.Client {
	if c, ok := ctx.Value(txClientKey{}).(*ent.Client); ok {
		return c
	}
	return d.ent
}

func inTx(ctx context.Context) bool {
	_, ok := ctx.Value(txClientKey{}).(*ent.Client)
	return ok
}

// errNoTx guards the locking reads: outside a transaction the lock would end with the
// statement and protect nothing.
var errNoTx = errors.New("data: a locking read needs a transaction (Transaction.InTx)")

type transaction struct{ data *Data }

// NewTransaction runs use cases in local transactions on the service's database.
func NewTransaction(d *Data) biz.Transaction { return transaction{data: d} }

// InTx opens a transaction and hands fn a context carrying it; repositories pick it up
// with Data.client. Inside a transaction already, fn simply joins it.
func (t transaction) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if inTx(ctx) {
		return fn(ctx)
	}
	return entx.RunInTx(ctx, t.data.ent.Tx, func(tx *ent.Tx) error {
		return fn(context.WithValue(ctx, txClientKey{}, tx.Client()))
	})
}
