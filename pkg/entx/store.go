package entx

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
)

// How a transaction reaches a repository — the one place every service does it.
//
// A use case opens a local transaction with Store.InTx (biz sees it as its Transaction
// port); a DTM branch gets its transaction from DTM's barrier or XA session (pkg/dtmx),
// which binds it with Store.Bind. Either way the transaction's ent client travels in the
// context, and every repository method asks Store.Client(ctx) for the client to use: the
// transaction's when there is one, the pool's otherwise. Repositories never take a *Tx
// parameter and never open transactions themselves.

// Client is what an ent-generated *ent.Client offers; T is its *ent.Tx.
type Client[T any] interface {
	Tx(ctx context.Context) (T, error)
	Close() error
}

// TxOf is what an ent-generated *ent.Tx offers; C is its *ent.Client.
type TxOf[C any] interface {
	Tx
	Client() C
}

// ErrNoTx guards locking reads: outside a transaction the lock would end with the
// statement and protect nothing.
var ErrNoTx = errors.New("data: a locking read needs a transaction (Transaction.InTx)")

// Store is a service's database: the pool and the ent client over it.
type Store[C Client[T], T TxOf[C]] struct {
	db        *sql.DB
	pool      C
	newClient func(dialect.Driver) C
}

// txKey carries the ent client of the transaction in a context; one key type per client
// type, so two services' clients never meet.
type txKey[C any] struct{}

// Open opens the pool described by c and the ent client over it (newClient is the
// generated constructor, e.g. func(d dialect.Driver) *ent.Client { return
// ent.NewClient(ent.Driver(d)) }); the cleanup closes both and logs a failure.
func Open[C Client[T], T TxOf[C]](ctx context.Context, c *conf.Database, logger log.Logger, newClient func(dialect.Driver) C) (*Store[C, T], func(), error) {
	db, err := database.Open(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	s := &Store[C, T]{db: db, pool: newClient(entsql.OpenDB(dialect.MySQL, db)), newClient: newClient}
	cleanup := func() {
		if err := s.pool.Close(); err != nil {
			log.NewHelper(logger).Errorw("msg", "close database", "err", err)
		}
	}
	return s, cleanup, nil
}

// DB is the pool, for what ent does not do (DTM's barrier, health checks).
func (s *Store[C, T]) DB() *sql.DB { return s.db }

// Ping reports whether the database answers; /healthz uses it.
func (s *Store[C, T]) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Pool is the ent client over the pool, outside any transaction (tests, set-up).
func (s *Store[C, T]) Pool() C { return s.pool }

// Client is the ent client of the transaction in ctx, or the pool's.
func (s *Store[C, T]) Client(ctx context.Context) C {
	if c, ok := ctx.Value(txKey[C]{}).(C); ok {
		return c
	}
	return s.pool
}

// HasTx reports whether ctx carries a transaction.
func (s *Store[C, T]) HasTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey[C]{}).(C)
	return ok
}

// RequireTx answers ErrNoTx outside a transaction (before a locking read).
func (s *Store[C, T]) RequireTx(ctx context.Context) error {
	if !s.HasTx(ctx) {
		return ErrNoTx
	}
	return nil
}

// InTx runs fn in one local transaction whose client the repositories find in the
// context; committed when fn returns nil, rolled back otherwise. Inside a transaction
// already, fn joins it. It is what each service's biz.Transaction port is.
func (s *Store[C, T]) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.HasTx(ctx) {
		return fn(ctx)
	}
	return RunInTx(ctx, s.pool.Tx, func(tx T) error {
		return fn(context.WithValue(ctx, txKey[C]{}, tx.Client()))
	})
}

// Bind returns ctx carrying an ent client over drv — a transaction someone else opened
// (DTM's barrier or an XA session) — so repositories run on it.
func (s *Store[C, T]) Bind(ctx context.Context, drv *Driver) context.Context {
	return context.WithValue(ctx, txKey[C]{}, s.newClient(drv))
}
