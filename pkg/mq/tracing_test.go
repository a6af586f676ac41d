package mq

import (
	"context"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// A message's consumer span continues the producer's trace through the properties, and
// the signature (which covers only the named properties) still verifies.
func TestConsumerSpanIsAChildOfTheSend(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(telemetry.Propagator())
	signer, err := NewSigner("TP_X", "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}

	m := primitive.NewMessage("TP_X", []byte(`{"projectId":"7"}`))
	m.WithKeys([]string{"PROJECT_7"})
	signer.Sign(m)
	_, send := StartSend(context.Background(), m, telemetry.KeyProjectID.String("7"))
	Sent(send, &primitive.SendResult{MsgID: "M1"}, nil)
	send.End()

	// What the consumer receives: the same topic, keys, properties and body.
	got := &primitive.MessageExt{Message: primitive.Message{Topic: m.Topic, Body: m.Body}, MsgId: "M1"}
	got.WithProperties(m.GetProperties())
	if err := signer.Verify(got); err != nil {
		t.Fatalf("signature after the trace properties were added: %v", err)
	}
	_, process := StartProcess(context.Background(), "process", got)
	process.End()

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want send and process", len(spans))
	}
	s, p := spans[0], spans[1]
	if s.Name() != "send TP_X" || p.Name() != "process TP_X" || s.SpanKind() != trace.SpanKindProducer || p.SpanKind() != trace.SpanKindConsumer {
		t.Fatalf("spans %q (%v), %q (%v)", s.Name(), s.SpanKind(), p.Name(), p.SpanKind())
	}
	if p.Parent().SpanID() != s.SpanContext().SpanID() || p.SpanContext().TraceID() != s.SpanContext().TraceID() {
		t.Fatal("the consumer span is not a child of the send span")
	}
}
