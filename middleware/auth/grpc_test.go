package auth_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// whoami answers UnaryCall with the caller's subject as the payload and
// EmptyCall (public when the config says so) with nothing.
type whoami struct {
	testpb.UnimplementedTestServiceServer
}

func (whoami) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errors.Internal("", "no claims")
	}
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte(c.Subject)}}, nil
}

func (whoami) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func serveGRPC(t *testing.T, a *auth.Authenticator) testpb.TestServiceClient {
	t.Helper()
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(a.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, whoami{})
	if _, err := srv.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, srv)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

func withToken(authorization string) context.Context {
	if authorization == "" {
		return context.Background()
	}
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", authorization)
}

// grpc-go's own client sees a refusal as UNAUTHENTICATED, and the gox
// decoding of the status gives back the 401 and its reason; a good token
// reaches the method with its claims; the public method needs none.
func TestGRPCOnTheWire(t *testing.T) {
	k := keys()
	clk := newClock()
	c := staticConfig(t)
	c.Public.Exact = []string{"/grpc.testing.TestService/EmptyCall"}
	client := serveGRPC(t, newAuth(t, c, auth.WithClock(clk.Now)))
	rs := issuer(auth.RS256, "rsa", k.rsa, clk)

	resp, err := client.UnaryCall(withToken(bearer(mustIssue(t, rs, "alice", nil))), &testpb.SimpleRequest{})
	if err != nil || string(resp.GetPayload().GetBody()) != "alice" {
		t.Fatalf("good token: %v %v", resp, err)
	}
	if _, err := client.EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatalf("public method without a token: %v", err)
	}
	for _, c := range []struct{ name, header, reason string }{
		{"no token", "", auth.ReasonUnauthenticated},
		{"expired", bearer(mustIssue(t, rs, "alice", map[string]any{"exp": clk.Now().Add(-auth.DefaultConfig().Leeway - 1e9).Unix()})), auth.ReasonTokenExpired},
		{"alg none", bearer(unsigned(`{"sub":"mallory","iss":"https://idp.test","aud":"api","exp":4102444800}`)), auth.ReasonTokenInvalid},
		{"wrong audience", bearer(mustIssue(t, rs, "alice", map[string]any{"aud": "billing"})), auth.ReasonTokenInvalid},
		{"unknown kid", bearer(mustIssue(t, issuer(auth.RS256, "gone", k.rsa2, clk), "alice", nil)), auth.ReasonTokenInvalid},
		{"malformed", "Bearer x.y.z", auth.ReasonTokenInvalid},
	} {
		_, err := client.UnaryCall(withToken(c.header), &testpb.SimpleRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: %v; want UNAUTHENTICATED", c.name, err)
			continue
		}
		if e := errors.FromError(xgrpc.FromStatus(err)); e.Code != 401 || e.Reason != c.reason {
			t.Errorf("%s: decoded %d %s; want 401 %s", c.name, e.Code, e.Reason, c.reason)
		}
	}
}
