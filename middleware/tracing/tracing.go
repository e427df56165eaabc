// Package tracing makes an OpenTelemetry span for every request, server and
// client side, and carries W3C trace context across transports through the
// request headers. It uses only the OpenTelemetry API: with no SDK installed
// (contrib/otel installs one) the global provider is a no-op and the cost is a
// few nanoseconds.
package tracing

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// ScopeName is the instrumentation scope of gox spans.
const ScopeName = "github.com/goxkit/gox/middleware/tracing"

type options struct {
	tp   trace.TracerProvider
	prop propagation.TextMapPropagator
}

// Option configures tracing.
type Option func(*options)

// WithTracerProvider sets the provider; the global one is used otherwise.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tp = tp } }

// WithPropagator sets the propagator; the global one is used otherwise.
func WithPropagator(p propagation.TextMapPropagator) Option { return func(o *options) { o.prop = p } }

func build(opts []Option) (trace.Tracer, propagation.TextMapPropagator) {
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.prop == nil {
		o.prop = otel.GetTextMapPropagator()
	}
	return o.tp.Tracer(ScopeName), o.prop
}

// Server continues the caller's trace (or starts one) around each request.
func Server(opts ...Option) middleware.Middleware {
	tracer, prop := build(opts)
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			ctx = prop.Extract(ctx, tr.RequestHeader())
			ctx, span := tracer.Start(ctx, tr.Operation(), trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			if span.IsRecording() {
				span.SetAttributes(attribute.String("gox.kind", string(tr.Kind())), attribute.String("gox.operation", tr.Operation()))
			}
			reply, err := next(ctx, req)
			finish(span, err)
			return reply, err
		}
	}
}

// Client makes a client span around each call and injects its context into the
// request headers.
func Client(opts ...Option) middleware.Middleware {
	tracer, prop := build(opts)
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromClientContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			ctx, span := tracer.Start(ctx, tr.Operation(), trace.WithSpanKind(trace.SpanKindClient))
			defer span.End()
			if span.IsRecording() {
				span.SetAttributes(attribute.String("gox.kind", string(tr.Kind())),
					attribute.String("gox.operation", tr.Operation()), attribute.String("server.address", tr.Endpoint()))
			}
			prop.Inject(ctx, tr.RequestHeader())
			reply, err := next(ctx, req)
			finish(span, err)
			return reply, err
		}
	}
}

func finish(span trace.Span, err error) {
	if err == nil || !span.IsRecording() {
		return
	}
	e := errors.FromError(err)
	span.SetAttributes(attribute.Int("gox.code", e.Code), attribute.String("gox.reason", e.Reason))
	if e.Code >= 500 {
		span.SetStatus(codes.Error, e.Message)
		span.RecordError(err)
	}
}
