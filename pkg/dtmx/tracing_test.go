package dtmx

import (
	"context"
	"testing"

	"github.com/dtm-labs/dtm/client/dtmcli/dtmimp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// The branch headers carry the initiator's span; a call the initiator makes itself (a
// Try) carries its own client span instead, with the DTM keys on it.
func TestBranchCallsContinueTheInitiatorsTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	ctx, root := telemetry.Tracer().Start(context.Background(), "registration tcc")
	defer root.End()

	tb := &dtmimp.TransBase{Gid: "G1", TransType: "tcc"}
	TraceBranches(ctx, tb)
	if got, want := tb.BranchHeaders[telemetry.TraceParentHeader], telemetry.Header(ctx)[telemetry.TraceParentHeader]; got == "" || got != want {
		t.Fatalf("branch header traceparent %q, want the initiator's %q", got, want)
	}

	// What dtmgrpc does before invoking a Try: DTM's metadata plus the branch headers.
	out := metadata.AppendToOutgoingContext(ctx, mdGID, "G1", mdBranchID, "01", mdOp, "try",
		telemetry.TraceParentHeader, tb.BranchHeaders[telemetry.TraceParentHeader])
	var sent metadata.MD
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		sent, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	if err := traceCall(out, "/x.Branch/Try", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended, want the client span", len(spans))
	}
	call := spans[0]
	if tp := sent.Get(telemetry.TraceParentHeader); len(tp) != 1 || tp[0] != telemetry.Header(spanContext(call))[telemetry.TraceParentHeader] {
		t.Fatalf("sent traceparent %v: want exactly the client span's", tp)
	}
	if call.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Fatal("the client span is not a child of the initiator's span")
	}
	want := map[string]string{"dtm.gid": "G1", "dtm.branch_id": "01", "dtm.op": "try"}
	for _, kv := range call.Attributes() {
		if w, ok := want[string(kv.Key)]; ok && kv.Value.AsString() == w {
			delete(want, string(kv.Key))
		}
	}
	if len(want) > 0 {
		t.Fatalf("client span lacks %v: %v", want, call.Attributes())
	}
}

// spanContext is a context holding the span context of s.
func spanContext(s sdktrace.ReadOnlySpan) context.Context {
	return oteltrace.ContextWithSpanContext(context.Background(), s.SpanContext())
}
