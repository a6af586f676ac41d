// Package server builds unified-account's HTTP and gRPC servers.
package server

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer)

// NewHTTPServer serves the API and /healthz.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, svc *service.UnifiedAccountService, f *faults.Registry, logger log.Logger) *http.Server {
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger))
	srv.Handle("/healthz", health.Handler(health.Check{Name: "database", Probe: d.Ping}))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	v1.RegisterUnifiedAccountHTTPServer(srv, svc)
	return srv
}

// NewGRPCServer serves the API, including the registration branches DTM calls; those
// answer only calls with the transaction's branch credential (pkg/dtmx).
func NewGRPCServer(c *conf.Bootstrap, svc *service.UnifiedAccountService, branches *service.AccountRegistrationService,
	key *dtmx.BranchKey, logger log.Logger) *grpc.Server {
	guard := key.Guard(v1.AccountRegistration_ServiceDesc.ServiceName)
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger, dtmx.ObserveBranches(), guard))
	v1.RegisterUnifiedAccountServer(srv, svc)
	v1.RegisterAccountRegistrationServer(srv, branches)
	return srv
}
