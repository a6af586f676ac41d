// Package dtmx is the glue between DTM's Go client and the services: it runs a gRPC
// branch's business change inside DTM's barrier or as an XA branch, with ent on the
// branch's own transaction.
package dtmx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"github.com/dtm-labs/logger"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/database"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// QuietClientLogs raises the DTM client's log level: at info it logs every branch call
// with its payload and every XA connection it opens.
func QuietClientLogs() { logger.InitLog("warn") }

// Runner runs DTM branches of one service against its database.
type Runner struct {
	db   *sql.DB      // the service's pool: barrier transactions, XA phase 2 from another session
	xaDB *sql.DB      // sessions of XA branches, held from phase 1 to phase 2 (xa.go)
	held heldBranches // this process's prepared XA branches
}

// NewRunner returns a Runner for the service's pool db, whose settings are c. It opens a
// second pool on the same login for XA branches; the cleanup closes it.
func NewRunner(ctx context.Context, db *sql.DB, c *conf.Database) (*Runner, func(), error) {
	xaDB, err := database.Open(ctx, &conf.Database{Dsn: c.GetDsn(), MaxOpenConns: xaMaxOpen, MaxIdleConns: xaMaxIdle})
	if err != nil {
		return nil, nil, fmt.Errorf("dtm xa pool: %w", err)
	}
	cleanup := func() {
		if err := xaDB.Close(); err != nil {
			log.Errorf("dtm xa pool: close: %v", err)
		}
	}
	return &Runner{db: db, xaDB: xaDB}, cleanup, nil
}

// Branches runs one service's DTM branches with its repositories bound to the branch's
// transaction: bind is the service's entx.Store.Bind, so a repository inside fn finds the
// barrier's transaction (or the XA session) in the context exactly as it finds a local
// one. Its two methods are what each service's biz.BranchRunner port asks for.
type Branches struct {
	run  *Runner
	bind func(context.Context, *entx.Driver) context.Context
}

// NewBranches returns the branch runner of a service whose pool is db (settings c); the
// cleanup closes the XA pool it opens.
func NewBranches(ctx context.Context, db *sql.DB, c *conf.Database, bind func(context.Context, *entx.Driver) context.Context) (*Branches, func(), error) {
	QuietClientLogs()
	r, cleanup, err := NewRunner(ctx, db, c)
	if err != nil {
		return nil, nil, err
	}
	return &Branches{run: r, bind: bind}, cleanup, nil
}

// InBarrier runs fn inside DTM's sub-transaction barrier (TCC): a repeated call, a Cancel
// with no Try before it (empty rollback) and a Try after its Cancel (hanging) skip fn.
func (b *Branches) InBarrier(ctx context.Context, fn func(ctx context.Context, gid string) error) error {
	return b.run.InBarrier(ctx, func(drv *entx.Driver, gid string) error { return fn(b.bind(ctx, drv), gid) })
}

// InXA runs fn as the service's XA branch, or performs phase 2 (fn is not called then).
func (b *Branches) InXA(ctx context.Context, fn func(ctx context.Context, gid string) error) error {
	return b.run.InXA(ctx, func(drv *entx.Driver, gid string) error { return fn(b.bind(ctx, drv), gid) })
}

// InBarrier runs fn inside DTM's sub-transaction barrier for the gRPC branch call in ctx,
// in one local transaction with the barrier record. fn gets an ent driver on that
// transaction and the branch's gid.
func (r *Runner) InBarrier(ctx context.Context, fn func(drv *entx.Driver, gid string) error) error {
	bb, err := dtmgrpc.BarrierFromGrpc(ctx)
	if err != nil {
		return fmt.Errorf("dtm barrier: %w", err)
	}
	return bb.CallWithDB(r.db, func(tx *sql.Tx) error {
		return fn(entx.New(tx), bb.Gid)
	})
}

var limitOnce sync.Once

// LimitBranchCalls makes every branch call the DTM client sends from this process (a Try
// or an XA branch) give up after timeout, so a participant that hangs rolls the global
// transaction back instead of holding the caller. Calls to the DTM server itself are left
// alone. Call it once at start, before the first transaction.
func LimitBranchCalls(timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	limitOnce.Do(func() {
		dtmgrpc.AddUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if strings.HasPrefix(method, "/dtmgimp.Dtm/") {
				return invoker(ctx, method, req, reply, cc, opts...)
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return invoker(ctx, method, req, reply, cc, opts...)
		})
	})
}
