// Package telemetry is how every service is observed: OpenTelemetry traces exported over
// OTLP to the trace store (Jaeger locally), W3C trace context carried across HTTP, gRPC,
// DTM branch headers and RocketMQ properties, and Prometheus metrics on /metrics.
//
// One business transaction is one trace: a registration (user-center → DTM →
// unified-account), a custody opening (the bank's gateway → its notifier → user-center's
// callback), a loan (approval → half message → local transaction → repayment's consumer).
// Spans carry the business keys under the attribute names below, so `make trace id=…`
// finds a trace by gid, requestNo or projectId.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// Attribute keys of the business identifiers spans carry.
const (
	KeyGID        = attribute.Key("dtm.gid")
	KeyBranchID   = attribute.Key("dtm.branch_id")
	KeyOp         = attribute.Key("dtm.op")
	KeyRequestNo  = attribute.Key("custody.request_no")
	KeyProjectID  = attribute.Key("project.id")
	KeyTopic      = attribute.Key("messaging.destination.name")
	KeyMessageID  = attribute.Key("messaging.message.id")
	KeyMessageKey = attribute.Key("messaging.rocketmq.message.keys")
)

// Environment variables the stack scripts (and compose) set for every service.
const (
	// EnvEndpoint is the OTLP/gRPC endpoint (host:port) spans are exported to. Empty:
	// spans are still created and propagated, but not exported.
	EnvEndpoint = "P2P_OTLP_ENDPOINT"
	// EnvSampleRatio is the share of new traces recorded, 0 to 1 (default 1). A span
	// whose caller sampled (or did not sample) its trace follows the caller's decision,
	// so a trace is whole or absent, never partial.
	EnvSampleRatio = "P2P_TRACE_SAMPLE_RATIO"
)

// Config says where spans go and how many traces are recorded.
type Config struct {
	Service, Version string
	Endpoint         string
	SampleRatio      float64
}

// FromEnv reads the Config of service from EnvEndpoint and EnvSampleRatio; a ratio that
// is not a number from 0 to 1 is refused (the service does not start).
func FromEnv(service, version string) (Config, error) {
	c := Config{Service: service, Version: version, Endpoint: os.Getenv(EnvEndpoint), SampleRatio: 1}
	if s := os.Getenv(EnvSampleRatio); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || !(r >= 0 && r <= 1) { // also refuses NaN
			return Config{}, fmt.Errorf("%s=%q: want a number from 0 to 1", EnvSampleRatio, s)
		}
		c.SampleRatio = r
	}
	return c, nil
}

// Exporter batching: spans reach the store within about a second, and a burst (the
// registration benchmark makes ~2,000 spans/s) is queued rather than dropped.
const (
	batchTimeout = time.Second
	maxQueueSize = 16384
	maxBatchSize = 1024
)

// Setup installs the process-wide tracer provider, propagator and meter provider (the
// latter exports to Metrics' registry). The returned shutdown flushes spans still queued.
func Setup(ctx context.Context, c Config, logger log.Logger) (shutdown func(context.Context) error, err error) {
	// Schemaless: resource.Default carries the SDK's own semantic-convention schema, and
	// merging two resources with different schema URLs fails.
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(c.Service), semconv.ServiceVersion(c.Version)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.SampleRatio))),
	}
	if c.Endpoint != "" {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(c.Endpoint), otlptracegrpc.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("otlp exporter %s: %w", c.Endpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(batchTimeout),
			sdktrace.WithMaxQueueSize(maxQueueSize), sdktrace.WithMaxExportBatchSize(maxBatchSize)))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator())
	otel.SetErrorHandler(throttledErrors(logger, time.Minute))

	mp, err := newMeterProvider(res)
	if err != nil {
		return nil, err
	}
	otel.SetMeterProvider(mp)
	return func(ctx context.Context) error { return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx)) }, nil
}

// Propagator is the W3C trace context (traceparent, tracestate) plus baggage: what every
// hop writes into HTTP headers, gRPC metadata, DTM branch headers and message properties.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// throttledErrors logs OpenTelemetry's own errors (the trace store unreachable, a full
// queue) at most once per interval, so an outage of Jaeger does not flood the logs; the
// count of errors in between is part of the next line.
func throttledErrors(logger log.Logger, interval time.Duration) otel.ErrorHandler {
	var (
		mu         sync.Mutex
		last       time.Time
		suppressed int
	)
	h := log.NewHelper(logger)
	return otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < interval {
			suppressed++
			return
		}
		h.Warnw("msg", "telemetry: "+err.Error(), "suppressed_since_last", suppressed)
		last, suppressed = time.Now(), 0
	})
}
