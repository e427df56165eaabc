package casbin_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	stderrors "errors"
	"github.com/goxkit/gox/contrib/authz/casbin"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

type service struct {
	testpb.UnimplementedTestServiceServer
}

func (service) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{}, nil
}

func (service) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (service) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	return s.Send(&testpb.StreamingOutputCallResponse{})
}

func serveGRPC(t *testing.T, m ...middleware.Middleware) testpb.TestServiceClient {
	t.Helper()
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(m...))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, service{})
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

func as(t *testing.T, sub string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, sub, nil))
}

// On gRPC the object is the full method and the action "call": a reader
// may call UnaryCall only, an admin the whole service, server streams
// included; grpc-go's own client sees PermissionDenied, and gox's decoding
// gives back the 403 and its reason.
func TestGRPCRoles(t *testing.T) {
	z, _ := newAuthorizer(t, nil)
	client := serveGRPC(t, authn(t).Middleware(), z.Middleware())

	if _, err := client.UnaryCall(as(t, "bob"), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("reader's UnaryCall: %v", err)
	}
	_, err := client.EmptyCall(as(t, "bob"), &testpb.Empty{})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("reader's EmptyCall: %v, want PermissionDenied", err)
	}
	if e := xgrpc.FromStatus(err); !stderrors.Is(e, casbin.ErrPermissionDenied) || errors.Code(e) != 403 {
		t.Fatalf("decoded as %v", e)
	}
	if _, err := client.EmptyCall(as(t, "alice"), &testpb.Empty{}); err != nil {
		t.Fatalf("admin's EmptyCall: %v", err)
	}
	for sub, want := range map[string]codes.Code{"alice": codes.OK, "bob": codes.PermissionDenied} {
		stream, err := client.StreamingOutputCall(as(t, sub), &testpb.StreamingOutputCallRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != want {
			t.Errorf("%s's server stream: %v, want %v", sub, err, want)
		}
	}
	if _, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v", err)
	}
}

// Public operations are not checked.
func TestGRPCPublic(t *testing.T) {
	z, _ := newAuthorizer(t, nil, casbin.WithPublic(middleware.Exact("/grpc.testing.TestService/EmptyCall")))
	client := serveGRPC(t, authn(t).Middleware(), z.Middleware())
	if _, err := client.EmptyCall(as(t, "carol"), &testpb.Empty{}); err != nil {
		t.Fatalf("public method: %v", err)
	}
	if _, err := client.UnaryCall(as(t, "carol"), &testpb.SimpleRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("checked method: %v", err)
	}
}
