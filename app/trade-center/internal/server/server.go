// Package server builds trade-center's servers: HTTP and gRPC from one proto (gRPC also
// serves the DTM branches), the background jobs (settler of PENDING tenders, collection
// run, refunds of failed projects), and the start-repayment transactional producer
// — a client of the broker that calls into the app (its local transaction and
// check-backs run biz.LoanLedger), so it lives here and cmd registers it like any server.
package server

import (
	"context"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware/selector"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer, NewTenderSettler, NewCollector, NewRefunder, NewRepublisher,
	NewStartRepaymentProducer, NewStartRepaymentRedriver, wire.Bind(new(biz.LoanMessenger), new(*StartRepaymentProducer)),
	wire.Bind(new(biz.StartRepaymentPublisher), new(*StartRepaymentProducer)))

// authenticated lists the operations that need a bearer token; reads are public.
var authenticated = map[string]bool{
	v1.OperationTradeCenterCreateProject: true,
	v1.OperationTradeCenterReviewProject: true,
	v1.OperationTradeCenterCreateTender:  true,
	v1.OperationTradeCenterApproveLoan:   true,
	v1.OperationTradeCenterRunCollection: true,
}

func authMiddleware(c *conf.Bootstrap) selector.Builder {
	return *selector.Server(auth.Server(c.GetAuth().GetTokenSecret())).
		Match(func(_ context.Context, operation string) bool { return authenticated[operation] })
}

// NewHTTPServer serves the API, /healthz (database and the start-repayment producer), the
// operator's redrive of dead-lettered start-repayment messages and, when faults are
// enabled, /debug/faults.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, producer *StartRepaymentProducer, redriver *StartRepaymentRedriver,
	svc *service.TradeCenterService, f *faults.Registry, logger log.Logger) *http.Server {
	am := authMiddleware(c)
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger, am.Build()))
	srv.Handle("/healthz", health.Handler(
		health.Check{Name: "database", Probe: d.Ping},
		health.Check{Name: "rocketmq", Probe: producer.Ready},
	))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	// make redrive; operator token only.
	servers.Handle(srv, "/v1/operator/redrive", redriver.OperatorHandler(operator.FromEnv()))
	v1.RegisterTradeCenterHTTPServer(srv, svc)
	return srv
}

// NewGRPCServer serves the API over gRPC, and the DTM branches (no bearer token: DTM
// calls them, with the barrier's metadata).
func NewGRPCServer(c *conf.Bootstrap, svc *service.TradeCenterService, branches *service.TradeCenterBranchesService,
	key *dtmx.BranchKey, logger log.Logger) *grpc.Server {
	am := authMiddleware(c)
	guard := key.Guard(v1.TradeCenterBranches_ServiceDesc.ServiceName)
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger, dtmx.ObserveBranches(), guard, am.Build()))
	v1.RegisterTradeCenterServer(srv, svc)
	v1.RegisterTradeCenterBranchesServer(srv, branches)
	return srv
}
