package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recordSpans installs a tracer provider that keeps every ended span in memory.
func recordSpans(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	return rec
}

func TestFromEnvRefusesARatioOutsideZeroToOne(t *testing.T) {
	for _, bad := range []string{"-0.1", "1.5", "half", "NaN"} {
		t.Setenv(EnvSampleRatio, bad)
		if _, err := FromEnv("svc", "v"); err == nil || !strings.Contains(err.Error(), EnvSampleRatio) {
			t.Errorf("%s=%q: got %v, want an error naming the variable", EnvSampleRatio, bad, err)
		}
	}
	t.Setenv(EnvSampleRatio, "")
	t.Setenv(EnvEndpoint, "127.0.0.1:4317")
	c, err := FromEnv("svc", "v")
	if err != nil || c.SampleRatio != 1 || c.Endpoint != "127.0.0.1:4317" {
		t.Fatalf("defaults: %+v %v, want ratio 1 and the endpoint", c, err)
	}
}

// A traced client calling a traced plain handler: one trace, the server span a child of
// the client span, the status code on both.
func TestClientAndPlainHandlerShareOneTrace(t *testing.T) {
	rec := recordSpans(t)
	srv := httptest.NewServer(Handler("/v1/things/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Annotate(r.Context(), KeyRequestNo.String("R1"))
		w.WriteHeader(http.StatusTeapot)
	})))
	defer srv.Close()
	ctx, root := Tracer().Start(context.Background(), "root")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/things/7", nil)
	res, err := Client(0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	root.End()

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	client, server := spans["HTTP GET /v1/things/7"], spans["GET /v1/things/{id}"]
	if client == nil || server == nil {
		t.Fatalf("spans %v: want the client and the server span", keys(spans))
	}
	if server.Parent().SpanID() != client.SpanContext().SpanID() || server.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Fatalf("server span's parent %v, trace %v: want client %v in trace %v", server.Parent().SpanID(),
			server.SpanContext().TraceID(), client.SpanContext().SpanID(), root.SpanContext().TraceID())
	}
	if server.SpanKind() != trace.SpanKindServer || attr(server, "http.response.status_code") != "418" || attr(server, string(KeyRequestNo)) != "R1" {
		t.Fatalf("server span %v attrs %v", server.SpanKind(), server.Attributes())
	}
}

// Work carried out later from a stored traceparent joins the trace that stored it.
func TestContinueResumesAStoredTrace(t *testing.T) {
	recordSpans(t)
	ctx, span := Tracer().Start(context.Background(), "gateway")
	stored := Header(ctx)[TraceParentHeader]
	span.End()
	if stored == "" {
		t.Fatal("no traceparent in Header")
	}
	_, later := Tracer().Start(Continue(context.Background(), stored), "publish")
	defer later.End()
	if later.SpanContext().TraceID() != span.SpanContext().TraceID() {
		t.Fatalf("continued in trace %v, want %v", later.SpanContext().TraceID(), span.SpanContext().TraceID())
	}
	if ctx := Continue(context.Background(), ""); trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("an empty traceparent continued something")
	}
}

// Setup must work with the SDK's default resource (a schema clash once stopped every
// service at start).
func TestSetupInstallsTheProviders(t *testing.T) {
	shutdown, err := Setup(context.Background(), Config{Service: "svc", Version: "v", SampleRatio: 1}, log.DefaultLogger)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	_, span := Tracer().Start(context.Background(), "x")
	defer span.End()
	if !span.SpanContext().IsSampled() {
		t.Fatal("a span of the installed provider is not sampled at ratio 1")
	}
}

func TestCountersAppearOnMetrics(t *testing.T) {
	mp, err := newMeterProvider(resource.Empty())
	if err != nil {
		t.Fatal(err)
	}
	otel.SetMeterProvider(mp)
	c := NewCounter("p2p_test_events", "events of the test")
	c.Inc(context.Background(), "outcome", "ok")
	c.Add(context.Background(), 2, "outcome", "ok")
	rec := httptest.NewRecorder()
	MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, MetricsPath, nil))
	if want := `p2p_test_events_total{outcome="ok"} 3`; !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("/metrics lacks %q:\n%s", want, rec.Body.String())
	}
}

func keys(m map[string]sdktrace.ReadOnlySpan) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}
