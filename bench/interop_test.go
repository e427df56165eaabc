package bench

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/goxkit/gox/contrib/prometheus"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// TestGRPCInteropClient runs grpc-go's own interop client cases (the ones
// that need no credentials or load balancer) against a gox gRPC server with
// the scaffold's chain serving grpc-go's interop TestService: every case
// passes (a failing case ends the test binary with its message), and the
// metrics record what the client got — 499 for its cancels, 501 for an
// unimplemented service — not 500. (A 1 ms deadline that the client's
// RST_STREAM ends reaches the server as a cancel: 499 or 504.)
func TestGRPCInteropClient(t *testing.T) {
	m := prometheus.New()
	c := xgrpc.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.Reflection = false
	s, err := xgrpc.NewServer(c, xgrpc.WithMiddleware(DefaultChain(Logger(io.Discard), m)...))
	if err != nil {
		t.Fatal(err)
	}
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Start(context.Background()) }()
	defer func() { _ = s.Stop(context.Background()) }()

	cc, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	tc := testgrpc.NewTestServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cases := map[string]func(){
		"empty_unary":             func() { interop.DoEmptyUnaryCall(ctx, tc) },
		"large_unary":             func() { interop.DoLargeUnaryCall(ctx, tc) },
		"client_streaming":        func() { interop.DoClientStreaming(ctx, tc) },
		"server_streaming":        func() { interop.DoServerStreaming(ctx, tc) },
		"ping_pong":               func() { interop.DoPingPong(ctx, tc) },
		"empty_stream":            func() { interop.DoEmptyStream(ctx, tc) },
		"timeout_on_sleeping":     func() { interop.DoTimeoutOnSleepingServer(ctx, tc) },
		"cancel_after_begin":      func() { interop.DoCancelAfterBegin(ctx, tc) },
		"cancel_after_first":      func() { interop.DoCancelAfterFirstResponse(ctx, tc) },
		"custom_metadata":         func() { interop.DoCustomMetadata(ctx, tc) },
		"status_code_and_message": func() { interop.DoStatusCodeAndMessage(ctx, tc) },
		"special_status_message":  func() { interop.DoSpecialStatusMessage(ctx, tc) },
		"unimplemented_method":    func() { interop.DoUnimplementedMethod(ctx, cc) },
		"unimplemented_service":   func() { interop.DoUnimplementedService(ctx, testgrpc.NewUnimplementedServiceClient(cc)) },
	}
	for name, run := range cases {
		t.Run(name, func(*testing.T) { run() })
	}

	wants := []string{
		`code="499",kind="grpc",operation="/grpc.testing.TestService/StreamingInputCall"`, // cancel_after_begin
		`code="501",kind="grpc",operation="/grpc.testing.TestService/UnimplementedCall"`,  // unimplemented_service
		`code="200",kind="grpc",operation="/grpc.testing.TestService/UnaryCall"`,
	}
	// a cancelled call ends on the server after the client has moved on (the
	// server's handler sees the cancellation when it runs): wait for it
	var series string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		series = rec.Body.String()
		if missing(series, wants) == "" || time.Now().After(deadline) {
			break
		}
	}
	if want := missing(series, wants); want != "" {
		t.Errorf("no gox_server_requests_total{%s}; recorded:\n%s", want, grep(series, "gox_server_requests_total{"))
	}
}

// missing returns the first of wants that series has no
// gox_server_requests_total of, or "".
func missing(series string, wants []string) string {
	for _, want := range wants {
		if !strings.Contains(series, "gox_server_requests_total{"+want+"}") {
			return want
		}
	}
	return ""
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
