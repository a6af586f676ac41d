// Package server builds user-center's HTTP and gRPC servers.
package server

import (
	"context"
	stdhttp "net/http"

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
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/health"
	"github.com/p2p-dtx/p2p-dtx/pkg/servers"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// ProviderSet is server providers.
var ProviderSet = wire.NewSet(NewHTTPServer, NewGRPCServer, NewReconciler, NewDTMRetryCap)

// authenticated lists the operations that need a bearer token.
var authenticated = map[string]bool{
	v1.OperationUserCenterGetMe:           true,
	v1.OperationCustodyOpenCustodyAccount: true,
	v1.OperationCustodyCreateRecharge:     true,
	v1.OperationCustodyGetCustodyRequest:  true,
	v1.OperationCustodyListRecharges:      true,
	v1.OperationCustodyCreateWithdrawal:   true,
	v1.OperationCustodyListWithdrawals:    true,
	v1.OperationCustodyGetMyBalance:       true,
	v1.OperationCustodyGetPlatformBalance: true,
}

// Paths of the plain HTTP handlers next to the generated routes.
const (
	// The bank's signed callback: the signature covers the raw body, so it is not a
	// generated route (which would decode the body first).
	notificationPath = "/v1/custody/notifications"
	// Where the bank sends the browser back (custody.return_url).
	returnPath = "/custody/return"
)

func authMiddleware(c *conf.Bootstrap) selector.Builder {
	return *selector.Server(auth.Server(c.GetAuth().GetTokenSecret())).
		Match(func(_ context.Context, operation string) bool { return authenticated[operation] })
}

// NewHTTPServer serves the API, the bank's callback, the return page and /healthz.
func NewHTTPServer(c *conf.Bootstrap, d *data.Data, svc *service.UserCenterService, custody *service.CustodyService,
	notifications *service.CustodyNotifications, bank *signing.Verifier, f *faults.Registry, logger log.Logger) *http.Server {
	am := authMiddleware(c)
	srv := servers.NewHTTP(c.GetServer(), logger, servers.Middleware(logger, am.Build()))
	srv.Handle("/healthz", health.Handler(health.Check{Name: "database", Probe: d.Ping}))
	if f != nil {
		srv.Handle("/debug/faults", f.Handler())
	}
	servers.Handle(srv, notificationPath, postOnly(bank.Require(notifications.Handle)))
	servers.HandleFunc(srv, returnPath, service.ReturnPage)
	v1.RegisterUserCenterHTTPServer(srv, svc)
	v1.RegisterCustodyHTTPServer(srv, custody)
	return srv
}

// postOnly refuses other methods before anything is read or a nonce is used.
func postOnly(next stdhttp.Handler) stdhttp.Handler {
	return stdhttp.HandlerFunc(func(w stdhttp.ResponseWriter, r *stdhttp.Request) {
		if r.Method != stdhttp.MethodPost {
			w.Header().Set("Allow", stdhttp.MethodPost)
			signing.WriteError(w, stdhttp.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// NewGRPCServer serves the API over gRPC.
func NewGRPCServer(c *conf.Bootstrap, svc *service.UserCenterService, custody *service.CustodyService,
	branches *service.ConsumerRegistrationService, key *dtmx.BranchKey, logger log.Logger) *grpc.Server {
	am := authMiddleware(c)
	guard := key.Guard(v1.ConsumerRegistration_ServiceDesc.ServiceName)
	srv := servers.NewGRPC(c.GetServer(), logger, servers.Middleware(logger, dtmx.ObserveBranches(), guard, am.Build()))
	v1.RegisterUserCenterServer(srv, svc)
	v1.RegisterCustodyServer(srv, custody)
	v1.RegisterConsumerRegistrationServer(srv, branches)
	return srv
}

// NewDTMRetryCap brings DTM's far-away retries forward (pkg/dtmx RetryCapJob), so a
// participant that comes back after any outage is retried within about a minute.
func NewDTMRetryCap(c *conf.Bootstrap, logger log.Logger) (*dtmx.RetryCapJob, error) {
	return dtmx.NewRetryCapJob(c.GetDtm(), logger)
}
