// Package server builds bank-custody's servers: HTTP (the bank's pages, its signed API
// and the proto API), gRPC, the poller that completes accepted requests and the notifier
// that consumes their results. All are registered with the Kratos app, so they start and
// stop with it.
package server

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/bank-custody/v1"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer, NewPoller, NewNotifier, NewNotifierRedriver, NewRetrySchedule)

// NewHTTPServer serves the bank's pages, its signed API, the proto API and /healthz. The
// pages and the signed API are plain net/http handlers: signature checks need the raw
// body.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, svc *service.BankCustodyService, pages *service.GatewayPages,
	api *service.CustodyAPI, redriver *NotifierRedriver, f *faults.Registry, logger log.Logger) *http.Server {
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger))
	srv.Handle("/healthz", health.Handler(health.Check{Name: "database", Probe: d.Ping}))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	// An operator sends the dead letters back (make redrive; operator token only).
	servers.Handle(srv, "/v1/operator/redrive", redriver.OperatorHandler(operator.FromEnv()))
	for _, r := range service.Routes(pages, api) {
		servers.HandleFunc(srv, r.Path, r.Handler)
	}
	v1.RegisterBankCustodyHTTPServer(srv, svc)
	return srv
}

// NewGRPCServer serves the proto API over gRPC.
func NewGRPCServer(c *conf.Bootstrap, svc *service.BankCustodyService, logger log.Logger) *grpc.Server {
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger))
	v1.RegisterBankCustodyServer(srv, svc)
	return srv
}
