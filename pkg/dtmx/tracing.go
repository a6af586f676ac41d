package dtmx

import (
	"context"
	"sync"

	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	"github.com/dtm-labs/dtm/client/dtmgrpc"
	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgpb"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// How a global transaction stays one trace.
//
// The initiator's calls (Prepare, Submit, a TCC Try, an XA action) go through the DTM
// client's own gRPC connections, which Kratos' client middleware never sees: TraceCalls
// adds an interceptor to them that starts a client span and writes its context into the
// call's metadata. DTM's own calls (Confirm, Cancel, XA phase 2, message steps, check-
// backs, and every retry of them) carry only the transaction's branch headers:
// TraceBranches puts the initiator's trace context there, so they continue its trace too.
// On the branch side ObserveBranches puts gid, branch id and op on the server span and
// counts the call.

const (
	mdBranchID = "dtm-branch_id"
	mdOp       = "dtm-op"
)

// TraceBranches puts ctx's trace context into t's branch headers; call it from the
// options of every global transaction, inside the span the transaction belongs to.
func TraceBranches(ctx context.Context, t *dtmimp.TransBase) {
	if t.BranchHeaders == nil {
		t.BranchHeaders = map[string]string{}
	}
	for k, v := range telemetry.Header(ctx) {
		t.BranchHeaders[k] = v
	}
}

var traceOnce sync.Once

// TraceCalls traces every call the DTM client of this process makes. Call it once at
// start, before the first transaction: the client builds its connections with the
// interceptors registered by then.
func TraceCalls() { traceOnce.Do(func() { dtmgrpc.AddUnaryInterceptor(traceCall) }) }

func traceCall(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	kv := []attribute.KeyValue{semconv.RPCSystemKey.String("grpc"), semconv.RPCMethod(method)}
	if r, ok := req.(*dtmgpb.DtmRequest); ok { // a call to the DTM server
		kv = append(kv, telemetry.KeyGID.String(r.GetGid()))
	} else {
		kv = append(kv, branchAttrs(func(k string) string { return first(md.Get(k)) })...)
	}
	ctx, span := telemetry.Tracer().Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(kv...))
	defer span.End()
	// Replaces the branch headers' traceparent: this span is the call's parent.
	telemetry.Inject(ctx, mdCarrier(md))
	err := invoker(metadata.NewOutgoingContext(ctx, md), method, req, reply, cc, opts...)
	telemetry.Fail(span, err)
	return err
}

// branchCalls counts branch calls by op and result (ok, failure = the branch refused and
// the transaction rolls back, retry = DTM tries again).
var branchCalls = telemetry.NewCounter("p2p_dtm_branch_calls", "DTM branch calls served, by op and result")

// ObserveBranches is server middleware for the services that serve DTM branches: a call
// carrying DTM's metadata gets gid, branch id and op on its span and is counted in
// p2p_dtm_branch_calls_total. Other calls pass through untouched.
func ObserveBranches() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok || tr.RequestHeader().Get(mdGID) == "" {
				return next(ctx, req)
			}
			h := tr.RequestHeader()
			telemetry.Annotate(ctx, branchAttrs(h.Get)...)
			reply, err := next(ctx, req)
			result := "ok"
			switch {
			case err == nil:
			case status.Code(err) == codes.Aborted:
				result = "failure"
			default:
				result = "retry"
			}
			branchCalls.Inc(ctx, "op", h.Get(mdOp), "result", result)
			return reply, err
		}
	}
}

func branchAttrs(get func(string) string) []attribute.KeyValue {
	return []attribute.KeyValue{
		telemetry.KeyGID.String(get(mdGID)),
		telemetry.KeyBranchID.String(get(mdBranchID)),
		telemetry.KeyOp.String(get(mdOp)),
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// mdCarrier lets the propagator write into outgoing gRPC metadata (replacing a value).
type mdCarrier metadata.MD

func (c mdCarrier) Get(k string) string { return first(metadata.MD(c).Get(k)) }
func (c mdCarrier) Set(k, v string)     { metadata.MD(c).Set(k, v) }
func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
