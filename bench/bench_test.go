package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/tracing"
	"github.com/goxkit/gox/transport"
)

// BenchmarkChain is the cost of the middleware chain alone around a no-op
// handler: empty versus the scaffolded default chain (access log to io.Discard
// through zap's JSON encoder) and issue 2's (request id, recovery, access
// log, metrics).
func BenchmarkChain(b *testing.B) {
	all := DefaultChain(Logger(io.Discard), prometheus.New())
	chains := map[string][]middleware.Middleware{"empty": nil, "default": all, "issue": all[:4]}
	for _, name := range []string{"empty", "default", "issue"} {
		b.Run(name, func(b *testing.B) { callLoop(b, pingContext(), middleware.Chain(chains[name]...)(noop)) })
	}
}

// noop is the handler the middleware benchmarks wrap: it does nothing.
func noop(context.Context, any) (any, error) { return nil, nil }

// pingContext is the context a server gives the handler of GET /ping: its
// transport in it.
func pingContext() context.Context {
	return transport.NewServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, "GET /ping"))
}

// callLoop calls h with ctx for the benchmark's iterations and reports
// the allocations.
func callLoop(b *testing.B, ctx context.Context, h middleware.Handler) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h(ctx, nil)
	}
}

// BenchmarkMiddleware is each middleware of the default chain alone around a
// no-op handler, with a transport in the context as a server would have.
func BenchmarkMiddleware(b *testing.B) {
	chain := DefaultChain(Logger(io.Discard), prometheus.New())
	names := []string{"requestid", "recovery", "logging", "metrics", "timeout", "metadata"}
	for i, name := range names {
		b.Run(name, func(b *testing.B) { callLoop(b, pingContext(), chain[i](noop)) })
	}
}

// BenchmarkTracingOff is the tracing middleware with no SDK installed (the
// global no-op provider), server and client side, against no middleware.
func BenchmarkTracingOff(b *testing.B) {
	for _, tc := range []struct {
		name string
		m    []middleware.Middleware
		ctx  func(transport.Transporter) context.Context
	}{
		{"none", nil, func(tr transport.Transporter) context.Context {
			return transport.NewServerContext(context.Background(), tr)
		}},
		{"server", []middleware.Middleware{tracing.Server()}, func(tr transport.Transporter) context.Context {
			return transport.NewServerContext(context.Background(), tr)
		}},
		{"client", []middleware.Middleware{tracing.Client()}, func(tr transport.Transporter) context.Context {
			return transport.NewClientContext(context.Background(), tr)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			callLoop(b, tc.ctx(goxtest.NewTransport(transport.KindGRPC, "/a.A/B")), middleware.Chain(tc.m...)(noop))
		})
	}
}

// BenchmarkHTTP serves /ping and POST /echo in process, bare gin against gox
// with its default chain, so the ratio is the framework's own cost.
func BenchmarkHTTP(b *testing.B) {
	m := prometheus.New()
	handlers := []struct {
		name string
		h    http.Handler
	}{{"gin", Gin()}, {"gox", Gox(Logger(io.Discard))}, {"gox-nochain", GoxWith(nil, m)}}
	for _, route := range []string{"ping", "echo"} {
		for _, hh := range handlers {
			b.Run(route+"/"+hh.name, func(b *testing.B) {
				r := httptest.NewRequest(http.MethodGet, "/ping", nil)
				body := strings.NewReader(EchoBody)
				if route == "echo" {
					r = httptest.NewRequest(http.MethodPost, "/echo", body)
					r.Header.Set("Content-Type", "application/json")
				}
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					if route == "echo" {
						body.Reset(EchoBody)
						r.Body = io.NopCloser(body) // gox wraps it in a size limit
					}
					clear(w.h)
					w.code = 0
					hh.h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Fatalf("%s %s: %d", hh.name, route, w.code)
					}
				}
			})
		}
	}
}

// discard is a ResponseWriter that keeps the status only, so that the HTTP
// benchmarks measure the framework and not the recorder.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	return len(p), nil
}
func (d *discard) WriteHeader(code int) { d.code = code }

// BenchmarkGRPCUnary calls UnaryCall over an in-memory connection, bare
// grpc-go against gox with its default chain, from parallel goroutines.
func BenchmarkGRPCUnary(b *testing.B) {
	servers := []struct {
		name  string
		serve func(net.Listener) (stop func())
	}{
		{"grpc", func(l net.Listener) func() { s := GRPC(); go s.Serve(l); return s.Stop }},
		{"gox", func(l net.Listener) func() {
			s := GoxGRPC(Logger(io.Discard))
			go s.GRPC().Serve(l)
			return s.GRPC().Stop
		}},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			lis := bufconn.Listen(1 << 20)
			stop := srv.serve(lis)
			defer stop()
			conn, err := grpc.NewClient("passthrough:///bufnet",
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := testpb.NewTestServiceClient(conn)
			req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello gox")}}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.UnaryCall(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestHandlersAgree keeps the benchmark fair: gin and gox answer the same.
func TestHandlersAgree(t *testing.T) {
	for _, h := range []http.Handler{Gin(), Gox(Logger(io.Discard))} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/echo", strings.NewReader(EchoBody)))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"tags":["a","b","c"]`) {
			t.Fatalf("%T: %d %s", h, w.Code, w.Body)
		}
	}
}

// BenchmarkHTTPChainPrefix serves /ping through gox with the first n
// middlewares of the default chain, to attribute its cost in a real request path.
func BenchmarkHTTPChainPrefix(b *testing.B) {
	m := prometheus.New()
	all := DefaultChain(Logger(io.Discard), m)
	names := []string{"none", "+requestid", "+recovery", "+logging", "+metrics", "+timeout", "+metadata"}
	for n, name := range names {
		b.Run(name, func(b *testing.B) {
			h := GoxWith(all[:n], m)
			r := httptest.NewRequest(http.MethodGet, "/ping", nil)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, r)
			}
		})
	}
}
