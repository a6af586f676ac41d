package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// MetricsPath is where every service's HTTP server answers Prometheus' scrape.
const MetricsPath = "/metrics"

// registry holds this process's metrics: the OpenTelemetry instruments (through the
// Prometheus exporter), the Go runtime and the process.
var registry = prometheus.NewRegistry()

func init() {
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

func newMeterProvider(res *resource.Resource) (*sdkmetric.MeterProvider, error) {
	exp, err := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp),
		sdkmetric.WithView(metrics.DefaultSecondsHistogramView(serverSeconds))), nil
}

// MetricsHandler serves the registry in Prometheus' text format.
func MetricsHandler() http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
}

// Names of Kratos' server metrics (its suggested names).
const (
	serverRequests = "server_requests_code_total"
	serverSeconds  = "server_requests_seconds"
)

// meter is the instrument factory of the platform's own metrics. The global meter
// provider delegates to the one Setup installs, so instruments made before Setup (in
// package variables) count once it runs.
func meter() metric.Meter { return otel.Meter("github.com/p2p-dtx/p2p-dtx") }

// serverInstruments are the instruments of Kratos' server metrics, made once per process
// and shared by the middleware and the plain handlers.
var serverInstruments = sync.OnceValues(func() (metric.Int64Counter, metric.Float64Histogram) {
	requests, err := metrics.DefaultRequestsCounter(meter(), serverRequests)
	if err != nil {
		panic(err) // only for an invalid name: a programming error
	}
	seconds, err := metrics.DefaultSecondsHistogram(meter(), serverSeconds)
	if err != nil {
		panic(err)
	}
	return requests, seconds
})

// ServerMetrics is Kratos' metrics middleware: requests by kind, operation, code and
// reason, and a latency histogram by operation.
func ServerMetrics() middleware.Middleware {
	requests, seconds := serverInstruments()
	return metrics.Server(metrics.WithRequests(requests), metrics.WithSeconds(seconds))
}

// recordPlain counts a plain handler's request in the same series, its route as the
// operation (the reason is not known outside Kratos' errors).
func recordPlain(ctx context.Context, route string, code int, took time.Duration) {
	requests, seconds := serverInstruments()
	requests.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", "http"), attribute.String("operation", route),
		attribute.Int("code", code), attribute.String("reason", "")))
	seconds.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("kind", "http"), attribute.String("operation", route)))
}

// Counter is a business counter: Add(ctx, "label", "value", ...) counts one event with
// those labels. Prometheus shows it as <name>_total.
type Counter struct{ c metric.Int64Counter }

// NewCounter returns the counter name (snake_case, without _total) described by help.
func NewCounter(name, help string) Counter {
	c, err := meter().Int64Counter(name, metric.WithDescription(help))
	if err != nil {
		panic(err)
	}
	return Counter{c: c}
}

// Inc counts one event; labels are pairs of name and value.
func (c Counter) Inc(ctx context.Context, labels ...string) { c.Add(ctx, 1, labels...) }

// Add counts n events; labels are pairs of name and value.
func (c Counter) Add(ctx context.Context, n int64, labels ...string) {
	c.c.Add(ctx, n, metric.WithAttributes(attrs(labels...)...))
}
