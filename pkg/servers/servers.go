// Package servers builds the HTTP and gRPC servers of a service the same way everywhere:
// addresses and timeouts from config, panic recovery, request logging and the limits
// every HTTP endpoint keeps (body size, body validity, header timeouts, overload), traces
// and metrics (Prometheus on /metrics of the HTTP port).
package servers

import (
	nethttp "net/http"
	"net/http/pprof"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/recovery"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Middleware is the chain every endpoint gets; services append their own (auth) after it.
// Tracing comes before the access log, so the log line carries the request's trace_id.
func Middleware(logger log.Logger, extra ...middleware.Middleware) []middleware.Middleware {
	return append([]middleware.Middleware{recovery.Recovery(), telemetry.ServerTracing(), telemetry.ServerMetrics(), accessLog(logger)}, extra...)
}

// Handle registers a plain net/http handler (one that is not a generated route) on srv
// with a server span of its own, so it joins the caller's trace like the routes do.
func Handle(srv *http.Server, pattern string, h nethttp.Handler) {
	srv.Handle(pattern, telemetry.Handler(pattern, h))
}

// HandleFunc is Handle for a handler function.
func HandleFunc(srv *http.Server, pattern string, f nethttp.HandlerFunc) { Handle(srv, pattern, f) }

// NewHTTP returns an HTTP server listening on c.http that keeps the limits of every
// endpoint: bodies up to MaxBodyBytes (413 beyond, 400 INVALID_BODY when not UTF-8 or
// not JSON), header and read timeouts, and at most DefaultMaxInFlight requests at once.
func NewHTTP(c *conf.Server, logger log.Logger, mw []middleware.Middleware, opts ...http.ServerOption) *http.Server {
	base := []http.ServerOption{http.Middleware(mw...), http.Logger(logger), http.RequestDecoder(decodeBody)}
	if a := c.GetHttp().GetAddr(); a != "" {
		base = append(base, http.Address(a))
	}
	if t := c.GetHttp().GetTimeout(); t != nil {
		base = append(base, http.Timeout(t.AsDuration()))
	}
	srv := http.NewServer(append(base, opts...)...)
	// Wrapped here rather than passed as http.Filter, which a service's own filters
	// would replace.
	srv.Handler = limitInFlight(DefaultMaxInFlight)(limitBody(srv.Handler))
	srv.Handle(telemetry.MetricsPath, telemetry.MetricsHandler())
	srv.HandlePrefix("/debug/pprof/", operator.FromEnv().Require(profiles()))
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout = ReadHeaderTimeout, ReadTimeout, IdleTimeout
	return srv
}

// NewGRPC returns a gRPC server listening on c.grpc. Kratos registers the standard
// grpc.health.v1 service on it, SERVING while the app runs.
func NewGRPC(c *conf.Server, logger log.Logger, mw []middleware.Middleware, opts ...grpc.ServerOption) *grpc.Server {
	base := []grpc.ServerOption{grpc.Middleware(mw...), grpc.Logger(logger)}
	if a := c.GetGrpc().GetAddr(); a != "" {
		base = append(base, grpc.Address(a))
	}
	if t := c.GetGrpc().GetTimeout(); t != nil {
		base = append(base, grpc.Timeout(t.AsDuration()))
	}
	return grpc.NewServer(append(base, opts...)...)
}

// profiles serves the Go runtime's profiles (net/http/pprof) under /debug/pprof/, behind
// the operator token like the fault points: what README "Profiling" reads a service's CPU
// time from, e.g.
//
//	curl -H "X-P2P-Operator-Token: $P2P_OPERATOR_TOKEN" \
//	  'http://127.0.0.1:8030/debug/pprof/profile?seconds=15' >trade-center.pprof
func profiles() nethttp.Handler {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, goroutine, mutex, block, allocs …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
