// Package otel installs the OpenTelemetry SDK for a gox service: a tracer
// provider exporting over OTLP (gRPC or HTTP), a parent-based ratio sampler,
// the service's resource, and W3C trace context plus baggage propagation. The
// tracing middleware in core uses whatever Setup installs; with tracing off
// nothing is installed and the middleware costs next to nothing.
package otel

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Config configures tracing.
type Config struct {
	// Exporter is none (tracing off), otlp-grpc or otlp-http.
	Exporter string `yaml:"exporter"`
	// Endpoint is the collector: host:port for otlp-grpc, a URL or host:port
	// for otlp-http. Empty uses OTEL_EXPORTER_OTLP_ENDPOINT or the OTLP default.
	Endpoint string `yaml:"endpoint"`
	// Insecure sends without TLS.
	Insecure bool `yaml:"insecure"`
	// SampleRatio is the share of new traces recorded, 0 to 1; a caller's
	// sampling decision is followed.
	SampleRatio float64 `yaml:"sample_ratio"`
	// Headers are sent with every export (an API key, say).
	Headers map[string]string `yaml:"headers"`
}

// DefaultConfig has tracing off, and samples everything once turned on.
func DefaultConfig() Config { return Config{Exporter: "none", SampleRatio: 1, Insecure: true} }

// Setup installs the SDK globally and returns the function that flushes and
// stops it; give that to the App as a resource. With Exporter none it
// installs nothing and returns a no-op.
func Setup(ctx context.Context, c Config, serviceName, version string) (shutdown func(context.Context) error, err error) {
	tp, err := NewTracerProvider(ctx, c, serviceName, version)
	if err != nil || tp == nil {
		return func(context.Context) error { return nil }, err
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// NewTracerProvider builds the provider Setup installs, without installing it;
// nil for Exporter none.
func NewTracerProvider(ctx context.Context, c Config, serviceName, version string) (*sdktrace.TracerProvider, error) {
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return nil, fmt.Errorf("otel: sample_ratio %v is not between 0 and 1", c.SampleRatio)
	}
	var exp sdktrace.SpanExporter
	var err error
	switch strings.ToLower(c.Exporter) {
	case "", "none":
		return nil, nil
	case "otlp-grpc":
		opts := []otlptracegrpc.Option{otlptracegrpc.WithHeaders(c.Headers)}
		if c.Endpoint != "" {
			opts = append(opts, otlptracegrpc.WithEndpoint(hostPort(c.Endpoint)))
		}
		if c.Insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	case "otlp-http":
		opts := []otlptracehttp.Option{otlptracehttp.WithHeaders(c.Headers)}
		if c.Endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpoint(hostPort(c.Endpoint)))
		}
		if c.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		// a transport of its own, closed with the exporter: otlptracehttp's
		// default one is shared by the process and keeps its connections
		tr := http.DefaultTransport.(*http.Transport).Clone()
		opts = append(opts, otlptracehttp.WithHTTPClient(&http.Client{Transport: tr}))
		var he sdktrace.SpanExporter
		he, err = otlptracehttp.New(ctx, opts...)
		exp = closingExporter{he, tr}
	default:
		return nil, fmt.Errorf("otel: exporter %q is not one of none, otlp-grpc, otlp-http", c.Exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("otel: %s exporter: %w", c.Exporter, err)
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv(),
		resource.WithAttributes(semconv.ServiceName(serviceName), semconv.ServiceVersion(version)))
	if err != nil {
		return nil, fmt.Errorf("otel: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.SampleRatio))),
	), nil
}

// closingExporter closes its transport's idle connections once shut down,
// so that a stopped tracer provider leaves no connection (and no goroutine)
// to the collector behind.
type closingExporter struct {
	sdktrace.SpanExporter
	tr *http.Transport
}

func (e closingExporter) Shutdown(ctx context.Context) error {
	err := e.SpanExporter.Shutdown(ctx)
	e.tr.CloseIdleConnections()
	return err
}

// hostPort accepts "host:port" or a URL and returns host:port.
func hostPort(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}
