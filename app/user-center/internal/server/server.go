// Package server builds user-center's HTTP and gRPC servers.
package server

import (
	"context"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware/selector"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer)

// authenticated lists the operations that need a bearer token.
var authenticated = map[string]bool{
	v1.OperationUserCenterGetMe: true,
}

func authMiddleware(c *conf.Bootstrap) selector.Builder {
	return *selector.Server(auth.Server(c.GetAuth().GetTokenSecret())).
		Match(func(_ context.Context, operation string) bool { return authenticated[operation] })
}

// NewHTTPServer serves the API and /healthz.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, svc *service.UserCenterService, f *faults.Registry, logger log.Logger) *http.Server {
	am := authMiddleware(c)
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger, am.Build()))
	srv.Handle("/healthz", health.Handler(health.Check{Name: "database", Probe: d.Ping}))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	v1.RegisterUserCenterHTTPServer(srv, svc)
	return srv
}

// NewGRPCServer serves the API over gRPC.
func NewGRPCServer(c *conf.Bootstrap, svc *service.UserCenterService, branches *service.ConsumerRegistrationService, logger log.Logger) *grpc.Server {
	am := authMiddleware(c)
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger, am.Build()))
	v1.RegisterUserCenterServer(srv, svc)
	v1.RegisterConsumerRegistrationServer(srv, branches)
	return srv
}
