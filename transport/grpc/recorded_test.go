package grpc_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/middleware/metrics"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// statusService answers with what its request names: a plain gRPC status
// ("status NotFound"), a reply of n bytes ("big 4096"), or it waits for the
// client to give up ("wait").
type statusService struct {
	testpb.UnimplementedTestServiceServer
	entered chan struct{}
}

func (s *statusService) answer(ctx context.Context, body string) ([]byte, error) {
	var name string
	var n int
	switch {
	case strings.HasPrefix(body, "status "):
		name = strings.TrimPrefix(body, "status ")
		for c := range codes.Code(17) {
			if c.String() == name {
				return nil, status.Error(c, "plain status "+name)
			}
		}
		return nil, fmt.Errorf("no code %q", name)
	case body == "wait":
		s.entered <- struct{}{}
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	case body == "wait-then-ok": // a handler that does not look at ctx
		s.entered <- struct{}{}
		<-ctx.Done()
		return []byte("done"), nil
	case body == "wait-then-fail": // one whose database call failed when ctx ended
		s.entered <- struct{}{}
		<-ctx.Done()
		return nil, errors.Internal("DB", "query failed").WithCause(ctx.Err())
	case strings.HasPrefix(body, "big "):
		_, _ = fmt.Sscan(strings.TrimPrefix(body, "big "), &n)
		return []byte(strings.Repeat("x", n)), nil
	}
	return []byte(body), nil
}

func (s *statusService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	b, err := s.answer(ctx, string(req.GetPayload().GetBody()))
	if err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Payload: payload(string(b))}, nil
}

// FullDuplexCall answers each message as UnaryCall does, and returns the
// first error it meets, as a handler passing errors on does.
func (s *statusService) FullDuplexCall(ss grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err // the client's cancel arrives here as a Canceled status
		}
		b, err := s.answer(ss.Context(), string(m.GetPayload().GetBody()))
		if err != nil {
			return err
		}
		if err := ss.Send(&testpb.StreamingOutputCallResponse{Payload: payload(string(b))}); err != nil {
			return err
		}
	}
}

// accessRecord is what the access log wrote of a call.
type accessRecord struct {
	op    string
	code  int64
	level slog.Level
}

// accessCapture is a slog.Handler passing each access record on.
type accessCapture chan accessRecord

func (c accessCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c accessCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c accessCapture) WithGroup(string) slog.Handler            { return c }
func (c accessCapture) Handle(_ context.Context, r slog.Record) error {
	a := accessRecord{level: r.Level}
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "operation":
			a.op = at.Value.String()
		case "code":
			a.code = at.Value.Int64()
		}
		return true
	})
	c <- a
	return nil
}

type recordFixture struct {
	svc    *statusService
	conn   *grpc.ClientConn
	client testpb.TestServiceClient
	logs   accessCapture
	rec    *goxtest.Recorder
}

func setupRecorded(t *testing.T, mut func(*xgrpc.Config)) *recordFixture {
	t.Helper()
	c := xgrpc.DefaultConfig()
	if mut != nil {
		mut(&c)
	}
	f := &recordFixture{svc: &statusService{entered: make(chan struct{}, 1)}, logs: make(accessCapture, 16), rec: &goxtest.Recorder{}}
	_, f.conn = serveTest(t, c, f.svc, []xgrpc.Option{xgrpc.WithMiddleware(logging.Server(slog.New(f.logs)), metrics.Server(f.rec))})
	f.client = testpb.NewTestServiceClient(f.conn)
	return f
}

// next returns the access record of the next call the server finished, and
// checks the metrics recorded the same code.
func (f *recordFixture) next(t *testing.T) accessRecord {
	t.Helper()
	select {
	case a := <-f.logs:
		obs := f.rec.Observed()
		if want := fmt.Sprintf("grpc %s %d", a.op, a.code); len(obs) == 0 || obs[len(obs)-1] != want {
			t.Errorf("metrics recorded %v; the access log %q", obs, want)
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("the server logged no call")
		return accessRecord{}
	}
}

const (
	unaryOp = "/grpc.testing.TestService/UnaryCall"
	bidiOp  = "/grpc.testing.TestService/FullDuplexCall"
)

// unary calls UnaryCall with body and returns the code the client got.
func (f *recordFixture) unary(ctx context.Context, body string) int {
	_, err := f.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: payload(body)})
	return errors.Code(err)
}

// stream sends body on a bidi stream and returns the code the client got.
func (f *recordFixture) stream(ctx context.Context, body string) int {
	s, err := f.client.FullDuplexCall(ctx)
	if err == nil {
		_ = s.Send(&testpb.StreamingOutputCallRequest{Payload: payload(body)})
		if _, err = s.Recv(); err == nil {
			_ = s.CloseSend()
			_, err = s.Recv()
			if err == io.EOF {
				err = nil
			}
		}
	}
	return errors.Code(err)
}

// A plain gRPC status from a handler is recorded (access log and metrics)
// under the gox code the client decodes it to, at the level of that code:
// not as a 500 at ERROR.
func TestPlainStatusIsRecordedAsItsCode(t *testing.T) {
	f := setupRecorded(t, nil)
	for _, tc := range []struct {
		code codes.Code
		want int
	}{
		{codes.NotFound, 404}, {codes.InvalidArgument, 400}, {codes.AlreadyExists, 409},
		{codes.PermissionDenied, 403}, {codes.Unauthenticated, 401}, {codes.ResourceExhausted, 429},
		{codes.FailedPrecondition, 412}, {codes.Aborted, 409}, {codes.OutOfRange, 400},
		{codes.Unimplemented, 501}, {codes.Unavailable, 503}, {codes.DeadlineExceeded, 504},
		{codes.Canceled, 499}, {codes.Internal, 500}, {codes.DataLoss, 500}, {codes.Unknown, 500},
	} {
		for _, kind := range []struct {
			op   string
			call func(context.Context, string) int
		}{{unaryOp, f.unary}, {bidiOp, f.stream}} {
			got := kind.call(context.Background(), "status "+tc.code.String())
			a := f.next(t)
			level := slog.LevelWarn
			if tc.want >= 500 {
				level = slog.LevelError
			}
			if got != tc.want || a.op != kind.op || a.code != int64(tc.want) || a.level != level {
				t.Errorf("%s %v: client got %d; recorded %+v, want code %d at %v", kind.op, tc.code, got, a, tc.want, level)
			}
		}
	}
}

// The health service's answer for a service it does not know (NotFound) is
// recorded as a 404.
func TestHealthUnknownServiceIsRecordedAs404(t *testing.T) {
	f := setupRecorded(t, nil)
	_, err := healthpb.NewHealthClient(f.conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: "no.Such"})
	a := f.next(t)
	if errors.Code(err) != 404 || a.op != "/grpc.health.v1.Health/Check" || a.code != 404 || a.level != slog.LevelWarn {
		t.Fatalf("client got %v; recorded %+v, want 404 at WARN", err, a)
	}
}

// A health Watch the client ends is recorded as the Canceled it got: 499 at
// WARN, not a success.
func TestHealthWatchCancelIsRecordedAs499(t *testing.T) {
	f := setupRecorded(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := healthpb.NewHealthClient(f.conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := w.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v %v", r, err)
	}
	cancel()
	_, err = w.Recv()
	a := f.next(t)
	if errors.Code(err) != 499 || a.op != "/grpc.health.v1.Health/Watch" || a.code != 499 || a.level != slog.LevelWarn {
		t.Fatalf("client got %v; recorded %+v, want 499 at WARN", err, a)
	}
}

// A call the client cancels is recorded as 499 at WARN, on unary and
// streaming calls.
func TestClientCancelIsRecordedAs499(t *testing.T) {
	f := setupRecorded(t, nil)
	for _, kind := range []struct {
		op   string
		call func(context.Context, string) int
	}{{unaryOp, f.unary}, {bidiOp, f.stream}} {
		// what the handler returns once the client left does not reach it
		for _, body := range []string{"wait", "wait-then-ok", "wait-then-fail"} {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-f.svc.entered
				cancel()
			}()
			got := kind.call(ctx, body)
			a := f.next(t)
			if got != 499 || a.op != kind.op || a.code != 499 || a.level != slog.LevelWarn {
				t.Errorf("%s %s: client got %d; recorded %+v, want 499 at WARN", kind.op, body, got, a)
			}
		}
	}
}

// A reply over max_send_msg_bytes reaches the client as ResourceExhausted;
// the server records that (429), not the handler's success.
func TestOversizeReplyIsRecordedAsWhatTheClientGot(t *testing.T) {
	f := setupRecorded(t, func(c *xgrpc.Config) { c.MaxSendMsgBytes = 1024 })
	for _, kind := range []struct {
		op   string
		call func(context.Context, string) int
	}{{unaryOp, f.unary}, {bidiOp, f.stream}} {
		got := kind.call(context.Background(), "big 4096")
		a := f.next(t)
		if got != 429 || a.op != kind.op || a.code != 429 || a.level != slog.LevelWarn {
			t.Errorf("%s: client got %d; recorded %+v, want 429 at WARN", kind.op, got, a)
		}
		// a reply just under the limit still goes through
		got = kind.call(context.Background(), "big 1000")
		if a := f.next(t); got != 200 || a.code != 200 || a.level != slog.LevelInfo {
			t.Errorf("%s: a reply under the limit: client got %d; recorded %+v", kind.op, got, a)
		}
	}
	// compressed, the same reply is under the limit on the wire and is sent
	_, err := f.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("big 4096")}, grpc.UseCompressor(gzip.Name))
	if a := f.next(t); err != nil || a.code != 200 {
		t.Errorf("a gzip reply under the limit: client got %v; recorded %+v", err, a)
	}
}
