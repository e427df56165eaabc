package otel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/contrib/otel"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/tracing"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

type users struct {
	testpb.UnimplementedTestServiceServer
}

func (users) UnaryCall(_ context.Context, r *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: r.GetPayload()}, nil
}

// hop starts a gRPC service and an HTTP service whose GET /hop calls it, each
// tracing with its own provider, and returns the HTTP base URL. The body of
// /hop is the trace id the HTTP server saw.
func hop(t *testing.T, httpTP, grpcTP trace.TracerProvider) string {
	t.Helper()
	prop := tracing.WithPropagator(propagation.TraceContext{})
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	gs, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(tracing.Server(tracing.WithTracerProvider(grpcTP), prop)))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(gs, users{})
	if _, err := gs.Endpoint(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Start(context.Background()) }()
	t.Cleanup(func() { _ = gs.Stop(context.Background()) })

	conn, err := xgrpc.Dial(gs.Addr(), xgrpc.WithClientMiddleware(tracing.Client(tracing.WithTracerProvider(httpTP), prop)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := testpb.NewTestServiceClient(conn)

	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	hs, err := xhttp.NewServer(hc, xhttp.WithMiddleware(tracing.Server(tracing.WithTracerProvider(httpTP), prop)))
	if err != nil {
		t.Fatal(err)
	}
	hs.GET("/hop", func(c *xhttp.Context) error {
		ctx := c.Request.Context()
		if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			return err
		}
		c.String(200, trace.SpanContextFromContext(ctx).TraceID().String())
		return nil
	})
	u, err := hs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Start(context.Background()) }()
	t.Cleanup(func() { _ = hs.Stop(context.Background()) })
	return u.String()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func TestOneTraceAcrossHTTPAndGRPC(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	traceID := get(t, hop(t, tp, tp)+"/hop")

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("want 3 spans (http server, grpc client, grpc server), got %d", len(spans))
	}
	byKind := map[trace.SpanKind]tracetest.SpanStub{}
	for _, s := range spans {
		if s.SpanContext.TraceID().String() != traceID {
			t.Fatalf("span %q in trace %s, want %s", s.Name, s.SpanContext.TraceID(), traceID)
		}
		if _, dup := byKind[s.SpanKind]; dup && s.SpanKind != trace.SpanKindServer {
			t.Fatalf("two %v spans", s.SpanKind)
		}
		if s.SpanKind == trace.SpanKindServer && strings.HasPrefix(s.Name, "GET ") {
			byKind[trace.SpanKindInternal] = s // the HTTP server span, kept apart from the gRPC one
			continue
		}
		byKind[s.SpanKind] = s
	}
	httpSpan, client, server := byKind[trace.SpanKindInternal], byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
	if httpSpan.Name != "GET /hop" || client.Name != "/grpc.testing.TestService/UnaryCall" || server.Name != client.Name {
		t.Fatalf("names: %q %q %q", httpSpan.Name, client.Name, server.Name)
	}
	if client.Parent.SpanID() != httpSpan.SpanContext.SpanID() || server.Parent.SpanID() != client.SpanContext.SpanID() {
		t.Fatal("spans are not chained http server -> grpc client -> grpc server")
	}
	if !server.Parent.IsRemote() {
		t.Fatal("the gRPC server span's parent did not come over the wire")
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []otel.Config{{Exporter: "zipkin"}, {Exporter: "otlp-http", SampleRatio: 2}} {
		if _, err := otel.NewTracerProvider(context.Background(), c, "svc", "v1"); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	tp, err := otel.NewTracerProvider(context.Background(), otel.DefaultConfig(), "svc", "v1")
	if tp != nil || err != nil {
		t.Fatalf("exporter none: %v %v", tp, err)
	}
}

// TestJaegerReceivesOneTrace sends the spans of one HTTP -> gRPC request to a
// real Jaeger, the HTTP side over OTLP/HTTP and the gRPC side over OTLP/gRPC,
// and reads the trace back from Jaeger's query API.
func TestJaegerReceivesOneTrace(t *testing.T) {
	hint := "start Jaeger with bash ci/test.sh (it builds tools/jaeger)"
	query := goxtest.RequireEnv(t, "JAEGER_QUERY_URL", hint)
	otlpHTTP := goxtest.RequireEnv(t, "JAEGER_OTLP_HTTP", hint)
	otlpGRPC := goxtest.RequireEnv(t, "JAEGER_OTLP_GRPC", hint)
	ctx := context.Background()
	gateway, err := otel.NewTracerProvider(ctx, otel.Config{Exporter: "otlp-http", Endpoint: otlpHTTP, Insecure: true, SampleRatio: 1}, "gateway", "test")
	if err != nil {
		t.Fatal(err)
	}
	users, err := otel.NewTracerProvider(ctx, otel.Config{Exporter: "otlp-grpc", Endpoint: otlpGRPC, Insecure: true, SampleRatio: 1}, "users", "test")
	if err != nil {
		t.Fatal(err)
	}
	traceID := get(t, hop(t, gateway, users)+"/hop")
	for _, tp := range []*sdktrace.TracerProvider{gateway, users} {
		if err := tp.Shutdown(ctx); err != nil { // flushes
			t.Fatal(err)
		}
	}

	var got jaegerTrace
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		got = fetchTrace(query, traceID)
		if len(got.Spans) == 3 {
			break
		}
	}
	if len(got.Spans) != 3 {
		t.Fatalf("Jaeger has %d spans for trace %s, want 3", len(got.Spans), traceID)
	}
	services := map[string]bool{}
	for _, s := range got.Spans {
		services[got.Processes[s.ProcessID].ServiceName] = true
	}
	if !services["gateway"] || !services["users"] {
		t.Fatalf("services in the trace: %v", services)
	}
}

type jaegerTrace struct {
	Spans []struct {
		OperationName string `json:"operationName"`
		ProcessID     string `json:"processID"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

func fetchTrace(query, id string) jaegerTrace {
	resp, err := http.Get(fmt.Sprintf("%s/api/traces/%s", query, id))
	if err != nil {
		return jaegerTrace{}
	}
	defer resp.Body.Close()
	var body struct {
		Data []jaegerTrace `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Data) == 0 {
		return jaegerTrace{}
	}
	return body.Data[0]
}
