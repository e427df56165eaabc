package report_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/report"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

// chain is the order a service puts the reporting middleware in: after
// the request id (and tracing), before recovery.
func chain(d *report.Dispatcher) []middleware.Middleware {
	return []middleware.Middleware{requestid.Server(), report.Middleware(d), recovery.Recovery(slog.New(slog.DiscardHandler))}
}

// Over a real HTTP server: a 500, a panic and a 502 the handler wrote
// itself each make one report with the request's details and secrets
// redacted; a 404 and a success make none.
func TestHTTPFailuresAreReported(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec), report.WithService("shop", "1.0.0", "test"))
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(chain(d)...), xhttp.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/orders/:id", func(*xhttp.Context) error { return errors.Internal("ORDERS_DB", "orders are unreachable") })
	s.GET("/panic", func(*xhttp.Context) error {
		var items []int
		return errors.Internal("", strings.Repeat("x", items[len(items)+1]))
	})
	s.GET("/missing", func(*xhttp.Context) error { return errors.NotFound("", "no such order") })
	s.GET("/gateway", func(c *xhttp.Context) error { c.String(http.StatusBadGateway, "upstream down"); return nil })
	s.GET("/ok", func(c *xhttp.Context) error { c.String(200, "ok"); return nil })
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u.String()+path, nil)
		req.Header.Set("Authorization", "Bearer secret-token")
		req.Header.Set("Cookie", "session=s3cr3t")
		req.Header.Set("X-Request-Id", "req-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for path, code := range map[string]int{"/orders/7?expand=items&access_token=abc": 500, "/missing": 404, "/ok": 200} {
		if resp := get(path); resp.StatusCode != code {
			t.Fatalf("%s: %d; want %d", path, resp.StatusCode, code)
		}
	}
	get("/panic")
	get("/gateway")
	closeNow(t, d)

	got := map[string]*report.Report{}
	for range 3 {
		r := rec.next(t)
		got[r.Operation] = r
	}
	rec.none(t)
	r := got["GET /orders/:id"]
	if r == nil {
		t.Fatalf("no report of the 500; got %v", got)
	}
	if r.Kind != report.KindHTTP || r.Code != 500 || r.Reason != "ORDERS_DB" || r.Message != "orders are unreachable" ||
		r.Service != "shop" || r.RequestID != "req-1" || r.Panic {
		t.Errorf("500 report %+v", r)
	}
	if r.HTTP == nil || r.HTTP.Method != "GET" || r.HTTP.Path != "/orders/7" || r.HTTP.Query != "expand=items&access_token=[redacted]" {
		t.Fatalf("request %+v", r.HTTP)
	}
	if r.HTTP.Header.Get("Authorization") != report.Redacted || r.HTTP.Header.Get("Cookie") != report.Redacted ||
		!strings.Contains(r.Stack, "report_test.TestHTTPFailuresAreReported") {
		t.Errorf("headers %v stack %s", r.HTTP.Header, r.Stack)
	}
	p := got["GET /panic"]
	if p == nil || !p.Panic || p.Code != 500 || !strings.Contains(p.Message, "index out of range") ||
		!strings.Contains(strings.SplitN(p.Stack, "\n", 3)[1], "report_test.TestHTTPFailuresAreReported") {
		t.Errorf("panic report %+v", p)
	}
	if g := got["GET /gateway"]; g == nil || g.Code != 502 || g.Err == nil {
		t.Errorf("written 502 report %+v", g)
	}
}

type failingService struct {
	testpb.UnimplementedTestServiceServer
}

func (failingService) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return nil, errors.Internal("LEDGER", "ledger write failed")
}

func (failingService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return nil, errors.NotFound("", "nothing")
}

// Over a real gRPC server: an Internal makes one report with the method;
// a NotFound makes none.
func TestGRPCInternalIsReported(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec))
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(chain(d)...))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, failingService{})
	if _, err := srv.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, srv)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	_, err = client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if status.Code(err) != codes.Internal {
		t.Fatalf("UnaryCall: %v", err)
	}
	if _, err := client.EmptyCall(context.Background(), &testpb.Empty{}); status.Code(err) != codes.NotFound {
		t.Fatalf("EmptyCall: %v", err)
	}
	closeNow(t, d)
	r := rec.next(t)
	rec.none(t)
	if r.Kind != report.KindGRPC || r.Operation != "/grpc.testing.TestService/UnaryCall" || r.Code != 500 ||
		r.Reason != "LEDGER" || r.HTTP != nil || r.RequestID == "" {
		t.Fatalf("report %+v", r)
	}
}

// Without recovery further in, the middleware reports the panic and lets
// it go on, changing nothing for whatever recovers it.
func TestMiddlewareRepanicsWithoutRecovery(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec))
	h := report.Middleware(d)(func(context.Context, any) (any, error) { panic("bug") })
	func() {
		defer func() {
			if v := recover(); v != "bug" {
				t.Fatalf("recovered %v; want the handler's panic", v)
			}
		}()
		_, _ = h(context.Background(), nil)
	}()
	closeNow(t, d)
	if r := rec.next(t); !r.Panic || r.Message != "panic: bug" {
		t.Fatalf("report %+v", r)
	}
}

// A nil dispatcher leaves the chain as it was.
func TestMiddlewareOff(t *testing.T) {
	var d *report.Dispatcher
	h := report.Middleware(d)(func(context.Context, any) (any, error) { return nil, errors.Internal("", "x") })
	if _, err := h(context.Background(), nil); !errors.IsInternal(err) {
		t.Fatal(err)
	}
}

// Goroutines a handler starts find the dispatcher in the call's context:
// a failure in one goes to the same place as the handler's own.
func TestMiddlewarePutsTheDispatcherInTheContext(t *testing.T) {
	rec := newRecorder()
	d := newDispatcher(t, report.WithReporter(rec))
	h := report.Middleware(d)(func(ctx context.Context, _ any) (any, error) {
		s := report.FromContext(ctx)
		if s == nil {
			t.Error("no Submitter in the handler's context")
			return nil, nil
		}
		<-report.Go(ctx, s, "background", func(context.Context) error { panic("late bug") })
		return nil, nil
	})
	if _, err := h(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	closeNow(t, d)
	if r := rec.next(t); !r.Panic || !strings.Contains(r.Message, "late bug") {
		t.Fatalf("report %+v; want the goroutine's panic", r)
	}
}
