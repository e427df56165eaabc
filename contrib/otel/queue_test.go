package otel_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/tracing"
)

// A message carries the producer's trace: the consumer's span is a child
// of the producer's, in the same trace.
func TestTraceCrossesTheQueue(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	opts := []tracing.Option{tracing.WithTracerProvider(tp), tracing.WithPropagator(propagation.TraceContext{})}
	b := broker.NewMemory()
	got := make(chan trace.SpanContext, 1)
	c, err := broker.NewConsumer(b, "orders", func(ctx context.Context, _ *broker.Message) error {
		got <- trace.SpanContextFromContext(ctx)
		return nil
	}, broker.ConsumerOptions{Group: "billing", Middleware: []middleware.Middleware{tracing.Server(opts...)}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(context.Background()) }()
	defer c.Stop(context.Background())

	ctx, parent := tp.Tracer("test").Start(context.Background(), "place order")
	if err := broker.NewProducer(b, tracing.Client(opts...)).Send(ctx, "orders", "o-1", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	parent.End()
	var consumer trace.SpanContext
	select {
	case consumer = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("not delivered")
	}
	if consumer.TraceID() != parent.SpanContext().TraceID() {
		t.Fatalf("consumer trace %s, producer trace %s", consumer.TraceID(), parent.SpanContext().TraceID())
	}
	for end := time.Now().Add(5 * time.Second); len(exp.GetSpans()) < 3 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond) // the consumer span ends just after the handler returns
	}
	var producerSpan, consumerSpan tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		switch s.SpanKind {
		case trace.SpanKindProducer, trace.SpanKindClient:
			producerSpan = s
		case trace.SpanKindConsumer, trace.SpanKindServer:
			consumerSpan = s
		}
	}
	if consumerSpan.Parent.SpanID() != producerSpan.SpanContext.SpanID() {
		t.Fatalf("the consumer span's parent is %s, not the publish span %s", consumerSpan.Parent.SpanID(), producerSpan.SpanContext.SpanID())
	}
}
