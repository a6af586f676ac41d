package mq

import (
	"context"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// A message carries its trace in user properties (traceparent, tracestate), written by
// StartSend and read by StartProcess, so a consumer's work (and a transactional message's
// check-back) continues the producer's trace. The properties are not covered by the
// message signature: they decide nothing.

// StartSend starts the producer span of m ("send <topic>") and writes its context into
// m's properties; end the span when the send returns (Sent records the message id).
func StartSend(ctx context.Context, m *primitive.Message, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, span := telemetry.Tracer().Start(ctx, "send "+m.Topic, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(append(messageAttrs(m), kv...)...))
	telemetry.Inject(ctx, properties{m})
	return ctx, span
}

// Sent records a send's outcome on its span.
func Sent(span trace.Span, res *primitive.SendResult, err error) {
	if err != nil {
		telemetry.Fail(span, err)
		return
	}
	if res != nil {
		span.SetAttributes(telemetry.KeyMessageID.String(res.MsgID))
	}
}

// StartProcess starts the span of handling m (operation "process" for a consumer,
// "check" for a check-back) as a child of the span that sent it.
func StartProcess(ctx context.Context, operation string, m *primitive.MessageExt, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return startHandling(ctx, operation, &m.Message, append([]attribute.KeyValue{telemetry.KeyMessageID.String(m.MsgId)}, kv...))
}

// StartLocalTransaction starts the span of a transactional message's local transaction,
// which the producer runs while the half message waits, as a child of the send.
func StartLocalTransaction(ctx context.Context, m *primitive.Message, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return startHandling(ctx, "execute-local-transaction", m, kv)
}

func startHandling(ctx context.Context, operation string, m *primitive.Message, kv []attribute.KeyValue) (context.Context, trace.Span) {
	ctx = telemetry.Extract(ctx, properties{m})
	return telemetry.Tracer().Start(ctx, operation+" "+m.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(append(messageAttrs(m), kv...)...))
}

func messageAttrs(m *primitive.Message) []attribute.KeyValue {
	kv := []attribute.KeyValue{semconv.MessagingSystemKey.String("rocketmq"), telemetry.KeyTopic.String(m.Topic)}
	if k := m.GetKeys(); k != "" {
		kv = append(kv, telemetry.KeyMessageKey.String(k))
	}
	return kv
}

// properties is a message's user properties as a propagation carrier.
type properties struct{ m *primitive.Message }

func (p properties) Get(k string) string { return p.m.GetProperty(k) }
func (p properties) Set(k, v string)     { p.m.WithProperty(k, v) }
func (p properties) Keys() []string {
	props := p.m.GetProperties()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	return keys
}
