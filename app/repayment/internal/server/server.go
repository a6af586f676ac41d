// Package server builds repayment's servers: HTTP and gRPC from one proto, and the
// RocketMQ consumer of trade-center's start-repayment message — a client of the broker
// that calls into the app, so it lives here and cmd registers it like any server.
package server

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer, NewStartRepaymentConsumer)

// NewHTTPServer serves the API, /healthz (database and the consumer) and, when faults
// are enabled, /debug/faults.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, consumer *StartRepaymentConsumer, svc *service.RepaymentService,
	f *faults.Registry, logger log.Logger) *http.Server {
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger))
	srv.Handle("/healthz", health.Handler(
		health.Check{Name: "database", Probe: d.Ping},
		health.Check{Name: "rocketmq", Probe: consumer.Ready},
	))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	v1.RegisterRepaymentHTTPServer(srv, svc)
	return srv
}

// NewGRPCServer serves the API over gRPC.
func NewGRPCServer(c *conf.Bootstrap, svc *service.RepaymentService, logger log.Logger) *grpc.Server {
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger))
	v1.RegisterRepaymentServer(srv, svc)
	return srv
}
