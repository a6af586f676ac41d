package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracer makes the spans the platform starts itself (messages, jobs, plain handlers).
func Tracer() trace.Tracer { return otel.Tracer("github.com/p2p-dtx/p2p-dtx") }

// ServerTracing is Kratos' tracing middleware for the generated HTTP routes and the gRPC
// methods: it continues the caller's trace from the request headers (or metadata) and
// records the operation, its status and the error.
func ServerTracing() middleware.Middleware {
	return tracing.Server(tracing.WithPropagator(Propagator()))
}

// Annotate puts business keys on the current span (no-op when there is none).
func Annotate(ctx context.Context, kv ...attribute.KeyValue) {
	trace.SpanFromContext(ctx).SetAttributes(kv...)
}

// Fail marks the current span failed with err (no-op for nil).
func Fail(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// Handler traces a plain net/http handler (one that is not a generated route, such as
// the bank's signed API or user-center's callback): a server span named "METHOD route"
// that continues the caller's trace and records the status code, and the request counted
// in the same server metrics as the generated routes (operation = route).
func Handler(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := Propagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := Tracer().Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.HTTPRoute(route)))
		defer span.End()
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		recordPlain(ctx, route, rec.status, time.Since(start))
		span.SetAttributes(semconv.HTTPResponseStatusCode(rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(rec.status))
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Transport traces an HTTP client: a client span per request, its context in the
// request's traceparent header, the status code on the span. base nil means
// http.DefaultTransport.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{base: base}
}

type roundTripper struct{ base http.RoundTripper }

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := Tracer().Start(r.Context(), "HTTP "+r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.ServerAddress(r.URL.Hostname())))
	defer span.End()
	r = r.Clone(ctx)
	Propagator().Inject(ctx, propagation.HeaderCarrier(r.Header))
	res, err := t.base.RoundTrip(r)
	if err != nil {
		Fail(span, err)
		return nil, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(res.StatusCode))
	if res.StatusCode >= 500 {
		span.SetStatus(codes.Error, strconv.Itoa(res.StatusCode))
	}
	return res, nil
}

// Client returns an HTTP client with timeout whose requests are traced.
func Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: Transport(nil)}
}

// Inject writes the trace context of ctx into carrier (message properties, branch
// headers); Extract continues the trace a carrier holds.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	Propagator().Inject(ctx, carrier)
}

// Extract returns ctx carrying the remote span context found in carrier.
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return Propagator().Extract(ctx, carrier)
}

// TraceParentHeader is the W3C header (and property, and branch header) of the trace
// context.
const TraceParentHeader = "traceparent"

// Continue returns ctx in the trace of traceparent (a value Header gave earlier, stored
// with a piece of work that is carried out later); ctx as is when it is empty.
func Continue(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return Extract(ctx, propagation.MapCarrier{TraceParentHeader: traceparent})
}

// Header returns the trace context of ctx as header name → value (traceparent and, when
// set, tracestate and baggage): what DTM's branch headers carry.
func Header(ctx context.Context) map[string]string {
	m := propagation.MapCarrier{}
	Propagator().Inject(ctx, m)
	return m
}

// attrs is a shorthand for string attributes built from pairs.
func attrs(kv ...string) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, attribute.String(kv[i], kv[i+1]))
	}
	return out
}
