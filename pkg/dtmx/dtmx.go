// Package dtmx is the glue between DTM's Go client and the services: it runs a gRPC
// branch's business change inside DTM's barrier or as an XA branch, with ent on the
// branch's own transaction, and derives the XA connection settings from a service's DSN.
package dtmx

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dtm-labs/dtm/client/dtmcli"
	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"github.com/dtm-labs/logger"
	"google.golang.org/grpc"

	"github.com/p2p-dtx/p2p-dtx/pkg/database"
	"github.com/p2p-dtx/p2p-dtx/pkg/entx"
)

// QuietClientLogs raises the DTM client's log level: at info it logs every branch call
// with its payload and every XA connection it opens.
func QuietClientLogs() { logger.InitLog("warn") }

// Runner runs DTM branches of one service against its database.
type Runner struct {
	db     *sql.DB
	xaConf dtmcli.DBConf
}

// NewRunner returns a Runner for the service's pool db, whose DSN is dsn (the XA branch
// opens its own connection with the same login).
func NewRunner(db *sql.DB, dsn string) (*Runner, error) {
	c, err := XAConf(dsn)
	if err != nil {
		return nil, err
	}
	return &Runner{db: db, xaConf: c}, nil
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

// InXA runs fn as the XA branch of the gRPC call in ctx (XA START … XA PREPARE on a
// connection of its own), or performs phase 2 when DTM calls back with commit/rollback.
func (r *Runner) InXA(ctx context.Context, fn func(drv *entx.Driver, gid string) error) error {
	return dtmgrpc.XaLocalTransaction(ctx, r.xaConf, func(db *sql.DB, xa *dtmgrpc.XaGrpc) error {
		return fn(entx.New(db), xa.Gid)
	})
}

// XAConf turns a go-sql-driver DSN into DTM's connection settings.
func XAConf(dsn string) (dtmcli.DBConf, error) {
	cfg, err := database.DriverConfig(dsn)
	if err != nil {
		return dtmcli.DBConf{}, err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return dtmcli.DBConf{}, fmt.Errorf("dtm xa: address %q: %w", cfg.Addr, err)
	}
	p, err := strconv.ParseInt(port, 10, 64)
	if err != nil {
		return dtmcli.DBConf{}, fmt.Errorf("dtm xa: port %q: %w", port, err)
	}
	return dtmcli.DBConf{
		Driver: dtmcli.DBTypeMysql, Host: host, Port: p,
		User: cfg.User, Password: cfg.Passwd, Db: cfg.DBName,
	}, nil
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
