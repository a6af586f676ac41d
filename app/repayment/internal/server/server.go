// Package server builds repayment's servers: HTTP and gRPC from one proto (plus the gRPC
// method DTM checks back on), the RocketMQ consumer of trade-center's start-repayment
// message — a client of the broker that calls into the app, so it lives here and cmd
// registers it like any server — and the scheduled repayment run.
package server

import (
	"context"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/selector"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer, NewStartRepaymentConsumer, NewRepaymentRunner, NewDTMRetryCap)

// authenticated lists the operations that need a bearer token: every public one (the
// plan reads are scoped to their caller, the run is the operator's). DTM's check-back
// (RepaymentBranches) is not among them: DTM carries no token, the barrier decides.
var authenticated = map[string]bool{
	v1.OperationRepaymentGetRepaymentPlan:   true,
	v1.OperationRepaymentListReceivables:    true,
	v1.OperationRepaymentCreateRepaymentRun: true,
}

// authMiddleware verifies the bearer token of the authenticated operations; a short
// secret is refused at start (a guessable key would let anyone mint an ADMIN token).
func authMiddleware(c *conf.Bootstrap) (middleware.Middleware, error) {
	secret := c.GetAuth().GetTokenSecret()
	if len(secret) < minTokenSecret {
		return nil, fmt.Errorf("auth.token_secret must be at least %d characters", minTokenSecret)
	}
	return selector.Server(auth.Server(secret)).
		Match(func(_ context.Context, operation string) bool { return authenticated[operation] }).Build(), nil
}

const minTokenSecret = 32

// NewHTTPServer serves the API, /healthz (database and the consumer) and, when faults
// are enabled, /debug/faults.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, consumer *StartRepaymentConsumer, svc *service.RepaymentService,
	f *faults.Registry, logger log.Logger) (*http.Server, error) {
	am, err := authMiddleware(c)
	if err != nil {
		return nil, err
	}
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger, am))
	srv.Handle("/healthz", health.Handler(
		health.Check{Name: "database", Probe: d.Ping},
		health.Check{Name: "rocketmq", Probe: consumer.Ready},
	))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	v1.RegisterRepaymentHTTPServer(srv, svc)
	return srv, nil
}

// NewGRPCServer serves the API over gRPC, and QueryPrepared, DTM's check-back of the
// installment-repaid message.
func NewGRPCServer(c *conf.Bootstrap, svc *service.RepaymentService, branches *service.RepaymentBranchesService,
	key *dtmx.BranchKey, logger log.Logger) (*grpc.Server, error) {
	am, err := authMiddleware(c)
	if err != nil {
		return nil, err
	}
	guard := key.Guard(v1.RepaymentBranches_ServiceDesc.ServiceName)
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger, dtmx.ObserveBranches(), guard, am))
	v1.RegisterRepaymentServer(srv, svc)
	v1.RegisterRepaymentBranchesServer(srv, branches)
	return srv, nil
}

// NewDTMRetryCap brings DTM's far-away retries forward (pkg/dtmx RetryCapJob), so a
// participant that comes back after any outage is retried within about a minute.
func NewDTMRetryCap(c *conf.Bootstrap, logger log.Logger) (*dtmx.RetryCapJob, error) {
	return dtmx.NewRetryCapJob(c.GetDtm(), logger)
}
