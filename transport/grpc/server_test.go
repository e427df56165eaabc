package grpc_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/transport"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

var errUserNotFound = errors.NotFound("USER_NOT_FOUND", "user not found")

type service struct {
	testpb.UnimplementedTestServiceServer
	deadline chan time.Duration
	entered  chan struct{}
}

func (s *service) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	switch string(req.GetPayload().GetBody()) {
	case "missing":
		return nil, errUserNotFound.WithMetadata(map[string]string{"id": "7"})
	case "panic":
		panic("handler bug")
	case "deadline":
		dl, _ := ctx.Deadline()
		s.deadline <- time.Until(dl)
	case "slow":
		close(s.entered)
		time.Sleep(300 * time.Millisecond)
	case "nap":
		time.Sleep(20 * time.Millisecond)
	}
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

func (s *service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, ss grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	for range 3 {
		if err := ss.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) StreamingInputCall(ss grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	var n int32
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return ss.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: n})
		}
		if err != nil {
			return err
		}
		n += int32(len(m.GetPayload().GetBody()))
	}
}

func (s *service) FullDuplexCall(ss grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	if requestid.FromContext(ss.Context()) == "" {
		return errors.Internal("", "stream context lost the chain's values")
	}
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ss.Send(&testpb.StreamingOutputCallResponse{Payload: m.GetPayload()}); err != nil {
			return err
		}
	}
}

type opRecorder struct {
	mu   sync.Mutex
	ops  []string
	took []time.Duration // EndTime - StartTime of each call
}

func (r *opRecorder) mw(next middleware.Handler) middleware.Handler {
	return func(ctx context.Context, req any) (any, error) {
		tr, _ := transport.FromServerContext(ctx)
		r.mu.Lock()
		r.ops = append(r.ops, tr.Operation())
		r.mu.Unlock()
		reply, err := next(ctx, req)
		end := transportx.EndTime(tr)
		if again := transportx.EndTime(tr); !again.Equal(end) {
			err = errors.Internal("", "EndTime read the clock: the handler's return was not recorded")
		}
		r.mu.Lock()
		r.took = append(r.took, end.Sub(transportx.StartTime(tr)))
		r.mu.Unlock()
		return reply, err
	}
}

type fixture struct {
	srv    *xgrpc.Server
	svc    *service
	conn   *grpc.ClientConn
	client testpb.TestServiceClient
	health *health.Health
	ops    *opRecorder
}

func setup(t *testing.T, mut func(*xgrpc.Config)) *fixture {
	t.Helper()
	c := xgrpc.DefaultConfig()
	if mut != nil {
		mut(&c)
	}
	f := &fixture{svc: &service{deadline: make(chan time.Duration, 1), entered: make(chan struct{})}, health: health.New(0), ops: &opRecorder{}}
	f.srv, f.conn = serveTest(t, c, f.svc, []xgrpc.Option{xgrpc.WithHealth(f.health),
		xgrpc.WithMiddleware(recovery.Recovery(slog.New(slog.DiscardHandler)), requestid.Server(), f.ops.mw)},
		xgrpc.WithClientMiddleware(requestid.Client()))
	f.client = testpb.NewTestServiceClient(f.conn)
	return f
}

// serveTest serves svc on a free loopback port with a server made of c and
// opts, and returns it and a connection to it dialled with dial; both end
// with the test.
func serveTest(t *testing.T, c xgrpc.Config, svc testpb.TestServiceServer, opts []xgrpc.Option, dial ...xgrpc.ClientOption) (*xgrpc.Server, *grpc.ClientConn) {
	t.Helper()
	c.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, svc)
	if _, err := srv.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, srv)
	conn, err := xgrpc.Dial(srv.Addr(), dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, conn
}

func payload(s string) *testpb.Payload { return &testpb.Payload{Body: []byte(s)} }

func TestChainRunsForAllFourKinds(t *testing.T) {
	f := setup(t, nil)
	ctx := context.Background()
	var hdr metadata.MD
	if _, err := f.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload("hi")}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	if len(hdr.Get("x-request-id")) != 1 {
		t.Fatalf("reply header lacks the request id: %v", hdr)
	}
	so, _ := f.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{Payload: payload("x")})
	n := 0
	for {
		if _, err := so.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	si, _ := f.client.StreamingInputCall(ctx)
	for range 4 {
		_ = si.Send(&testpb.StreamingInputCallRequest{Payload: payload("ab")})
	}
	agg, err := si.CloseAndRecv()
	if err != nil || agg.GetAggregatedPayloadSize() != 8 || n != 3 {
		t.Fatalf("streams: out %d in %v %v", n, agg, err)
	}
	bidi, _ := f.client.FullDuplexCall(ctx)
	_ = bidi.Send(&testpb.StreamingOutputCallRequest{Payload: payload("ping")})
	echo, err := bidi.Recv()
	if err != nil || string(echo.GetPayload().GetBody()) != "ping" {
		t.Fatalf("bidi: %v %v", echo, err)
	}
	_ = bidi.CloseSend()
	if _, err := bidi.Recv(); err != io.EOF {
		t.Fatalf("bidi end: %v", err)
	}
	want := []string{"/grpc.testing.TestService/UnaryCall", "/grpc.testing.TestService/StreamingOutputCall",
		"/grpc.testing.TestService/StreamingInputCall", "/grpc.testing.TestService/FullDuplexCall"}
	f.ops.mu.Lock()
	defer f.ops.mu.Unlock()
	if !slices.Equal(f.ops.ops, want) {
		t.Fatalf("chain saw %v, want %v", f.ops.ops, want)
	}
}

func TestErrorsCrossTheWire(t *testing.T) {
	f := setup(t, nil)
	_, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("missing")})
	if !stderrors.Is(err, errUserNotFound) {
		t.Fatalf("errors.Is(%v, errUserNotFound) = false", err)
	}
	var e *errors.Error
	if !stderrors.As(err, &e) || e.Metadata["id"] != "7" || e.Message != "user not found" {
		t.Fatalf("decoded %+v", e)
	}
	_, err = f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("panic")})
	if errors.Code(err) != 500 || errors.Reason(err) != "PANIC" {
		t.Fatalf("panic -> %v", err)
	}
	if _, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("ok")}); err != nil {
		t.Fatalf("server stopped serving after a panic: %v", err)
	}
}

func TestDeadlinePropagates(t *testing.T) {
	f := setup(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := f.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload("deadline")}); err != nil {
		t.Fatal(err)
	}
	if left := <-f.svc.deadline; left <= 0 || left > 2*time.Second {
		t.Fatalf("server saw %v left, want (0, 2s]", left)
	}
}

func TestHealthFollowsReadiness(t *testing.T) {
	f := setup(t, nil)
	hc := healthpb.NewHealthClient(f.conn)
	ctx := context.Background()
	for _, svc := range []string{"", "grpc.testing.TestService"} {
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%q: %v %v", svc, r, err)
		}
	}
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.Such"}); errors.Code(err) != 404 {
		t.Fatalf("unknown service: %v", err)
	}
	w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := w.Recv(); r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch first: %v", r)
	}
	f.health.SetShuttingDown()
	if r, _ := w.Recv(); r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch after shutdown: %v", r)
	}
	if r, _ := hc.Check(ctx, &healthpb.HealthCheckRequest{}); r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("check after shutdown: %v", r)
	}
}

func listServices(t *testing.T, conn *grpc.ClientConn) ([]string, error) {
	t.Helper()
	st, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		return nil, err
	}
	// io.EOF from Send means the server ended the stream first (reflection
	// off answers Unimplemented at once); Recv returns its status
	if err := st.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && err != io.EOF {
		return nil, err
	}
	r, err := st.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range r.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

func TestReflectionToggle(t *testing.T) {
	names, err := listServices(t, setup(t, nil).conn)
	if err != nil || !slices.Contains(names, "grpc.testing.TestService") || !slices.Contains(names, "grpc.health.v1.Health") {
		t.Fatalf("reflection on: %v %v", names, err)
	}
	if _, err := listServices(t, setup(t, func(c *xgrpc.Config) { c.Reflection = false }).conn); errors.Code(err) != 501 {
		t.Fatalf("reflection off: %v", err)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	f := setup(t, func(c *xgrpc.Config) { c.MaxRecvMsgBytes = 1024 })
	_, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload(strings.Repeat("a", 4096))})
	if errors.Code(err) != 429 || !strings.Contains(err.Error(), "larger than max") {
		t.Fatalf("oversized message: %v", err)
	}
}

func TestStopDrainsInFlightCall(t *testing.T) {
	f := setup(t, nil)
	res := make(chan error, 1)
	go func() {
		_, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("slow")})
		res <- err
	}()
	<-f.svc.entered
	if err := f.srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("in-flight call failed: %v", err)
	}
}

func TestPortInUse(t *testing.T) {
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	c := xgrpc.DefaultConfig()
	c.Addr = busy.Addr().String()
	s, _ := xgrpc.NewServer(c)
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "grpc server: listen on "+c.Addr) {
		t.Fatalf("err = %v", err)
	}
}

// The timeout middleware's deadline reaches a downstream gRPC server.
func TestTimeoutMiddlewareDeadlineReachesDownstream(t *testing.T) {
	f := setup(t, nil)
	upstream := timeout.Timeout(300 * time.Millisecond)(func(ctx context.Context, _ any) (any, error) {
		return f.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload("deadline")})
	})
	if _, err := upstream(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if left := <-f.svc.deadline; left <= 0 || left > 300*time.Millisecond {
		t.Fatalf("downstream saw %v left, want (0, 300ms]", left)
	}
}

// The server reads the caller's metadata in place; asking for all of it or
// changing it works on a copy, and the caller's id reaches the reply.
func TestIncomingMetadataView(t *testing.T) {
	type seen struct {
		id, mixed, after string
		keys             []string
	}
	got := make(chan seen, 1)
	mw := func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, _ := transport.FromServerContext(ctx)
			h := tr.RequestHeader()
			s := seen{id: h.Get("x-request-id"), mixed: h.Get("X-Custom-Key"), keys: h.Keys()}
			h.Set("x-custom-key", "changed")
			s.after = h.Get("x-custom-key")
			got <- s
			return next(ctx, req)
		}
	}
	client := serveWith(t, requestid.Server(), mw)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "req-1", "x-custom-key", "v1")
	var hdr metadata.MD
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload("hi")}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.id != "req-1" || s.mixed != "v1" || !slices.Contains(s.keys, "x-custom-key") || s.after != "changed" {
		t.Fatalf("server saw %+v", s)
	}
	if v := hdr.Get("x-request-id"); len(v) != 1 || v[0] != "req-1" {
		t.Fatalf("reply x-request-id %v, want the caller's req-1", v)
	}
}

// The transport records when the handler returned: the middlewares timing a
// call read that instead of the clock, and see the handler's time in it.
func TestEndIsTheHandlersReturn(t *testing.T) {
	f := setup(t, nil)
	if _, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("nap")}); err != nil {
		t.Fatal(err)
	}
	f.ops.mu.Lock()
	defer f.ops.mu.Unlock()
	if len(f.ops.took) != 1 || f.ops.took[0] < 20*time.Millisecond {
		t.Fatalf("calls took %v by the transport's clock; the handler slept 20ms", f.ops.took)
	}
}

// Reply metadata maps are reused between calls: each call's client gets its
// own reply headers and none of another call's, unary and streaming, with
// many calls at once.
func TestReplyHeadersAreEachCallsOwn(t *testing.T) {
	tag := func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, _ := transport.FromServerContext(ctx)
			n := tr.RequestHeader().Get("x-tag")
			tr.ReplyHeader().Set("x-tag", n)
			tr.ReplyHeader().Set("x-only-"+n, "1")
			return next(ctx, req)
		}
	}
	client := serveWith(t, requestid.Server(), tag)
	check := func(n string, hdr metadata.MD) error {
		want := map[string]string{"x-tag": n, "x-only-" + n: "1", "x-request-id": "id-" + n}
		for k, v := range want {
			if got := hdr.Get(k); len(got) != 1 || got[0] != v {
				return fmt.Errorf("call %s: %s = %v, want %s", n, k, got, v)
			}
		}
		for k := range hdr {
			if strings.HasPrefix(k, "x-only-") && k != "x-only-"+n {
				return fmt.Errorf("call %s got another call's header %s", n, k)
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 16 {
		wg.Go(func() {
			for i := range 25 {
				n := fmt.Sprint(g*100 + i)
				ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tag", n, "x-request-id", "id-"+n)
				var hdr metadata.MD
				if i%5 == 0 {
					st, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{Payload: payload("s")})
					if err == nil {
						hdr, err = st.Header()
						for err == nil {
							_, err = st.Recv()
						}
						if err == io.EOF {
							err = nil
						}
					}
					if err != nil {
						errs <- err
						continue
					}
				} else if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload("hi")}, grpc.Header(&hdr)); err != nil {
					errs <- err
					continue
				}
				if err := check(n, hdr); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// serveWith starts a server with the chain m and returns a client of it; both
// stop when the test ends.
func serveWith(t *testing.T, m ...middleware.Middleware) testpb.TestServiceClient {
	t.Helper()
	_, conn := serveTest(t, xgrpc.DefaultConfig(), &service{}, []xgrpc.Option{xgrpc.WithMiddleware(m...)})
	return testpb.NewTestServiceClient(conn)
}
