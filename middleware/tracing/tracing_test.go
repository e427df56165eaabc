package tracing_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/tracing"
	"github.com/goxkit/gox/transport"
)

// With no SDK installed, the middleware neither starts spans nor touches headers.
func TestOffPassesThrough(t *testing.T) {
	for name, opts := range map[string][]tracing.Option{
		"no SDK installed": nil,
		"explicit noop":    {tracing.WithTracerProvider(noop.NewTracerProvider())},
	} {
		t.Run(name, func(t *testing.T) {
			tr := goxtest.NewTransport(transport.KindGRPC, "/a.A/B")
			ctx := transport.NewClientContext(context.Background(), tr)
			var inner context.Context
			_, _ = tracing.Client(opts...)(func(c context.Context, _ any) (any, error) { inner = c; return nil, nil })(ctx, nil)
			if inner != ctx || trace.SpanFromContext(inner).SpanContext().IsValid() || len(tr.Request) != 0 {
				t.Fatalf("tracing off changed the call: headers %v", tr.Request)
			}
		})
	}
}
