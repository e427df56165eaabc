// Package tracing makes an OpenTelemetry span for every request, server and
// client side, and carries W3C trace context across transports through the
// request headers. It uses only the OpenTelemetry API: with no SDK installed
// (contrib/otel installs one) it passes calls straight through, at a cost of
// a few nanoseconds.
package tracing

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// ScopeName is the instrumentation scope of gox spans.
const ScopeName = "github.com/goxkit/gox/middleware/tracing"

// unset is the global provider as it is before any SDK is installed.
var unset = otel.GetTracerProvider()

// off reports whether tracing is off for this call: no provider was given and
// no SDK was installed globally, or the provider is the explicit no-op one.
// Off, the middleware passes the call straight through (an atomic load and a
// comparison); it does not carry the caller's trace context on either.
func off(explicit trace.TracerProvider) bool {
	tp := explicit
	if tp == nil {
		if tp = otel.GetTracerProvider(); tp == unset {
			return true
		}
	}
	_, isNoop := tp.(noop.TracerProvider)
	return isNoop
}

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

func build(opts []Option) (trace.TracerProvider, trace.Tracer, propagation.TextMapPropagator) {
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	explicit := o.tp
	if o.tp == nil {
		o.tp = otel.GetTracerProvider() // delegates to an SDK installed later
	}
	if o.prop == nil {
		o.prop = otel.GetTextMapPropagator()
	}
	return explicit, o.tp.Tracer(ScopeName), o.prop
}

// Server continues the caller's trace (or starts one) around each request.
func Server(opts ...Option) middleware.Middleware {
	explicit, tracer, prop := build(opts)
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if off(explicit) {
				return next(ctx, req)
			}
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
	explicit, tracer, prop := build(opts)
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if off(explicit) {
				return next(ctx, req)
			}
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
