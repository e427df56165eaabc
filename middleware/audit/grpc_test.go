package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/audit"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

type testService struct {
	testpb.UnimplementedTestServiceServer
	clock *fakeClock
}

func (s testService) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	s.clock.Advance(75 * time.Millisecond)
	if req.GetResponseStatus().GetCode() != 0 {
		return nil, errors.Forbidden("NOT_OWNER", "not yours")
	}
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

func (s testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (s testService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, st testpb.TestService_StreamingOutputCallServer) error {
	s.clock.Advance(time.Second)
	return st.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()})
}

func serveGRPC(t *testing.T, clock *fakeClock, a *audit.Auditor) testpb.TestServiceClient {
	t.Helper()
	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	srv, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(withClaims(), a.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, testService{clock: clock})
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

// Over a real gRPC server: the subject from a configured claim, resource
// ids read from the proto request by proto and JSON names (nested, enums
// by name), the snapshot with a configured field redacted, a failure's gox
// code and reason; a server stream is audited with its request; methods
// not selected write nothing.
func TestGRPCRecords(t *testing.T) {
	clock := newClock()
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"/grpc.testing.TestService/UnaryCall", "/grpc.testing.TestService/StreamingOutputCall"}
	c.ResourceFields = []string{"response_size", "responseType", "payload.type", "response_status.code"}
	c.SubjectClaim = "email"
	c.Redact = []string{"message"}
	c.RecordRequest = true
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithSink(col))
	client := serveGRPC(t, clock, a)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-test-sub", "carol", "x-request-id", "r-1")

	req := &testpb.SimpleRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseSize: 314,
		Payload:        &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: []byte("hi")},
		ResponseStatus: &testpb.EchoStatus{Message: "secret plan"}}
	if _, err := client.UnaryCall(ctx, req); err != nil {
		t.Fatal(err)
	}
	rec := col.only(t)
	wantRes := map[string]string{"response_size": "314", "responseType": "COMPRESSABLE", "payload.type": "COMPRESSABLE", "response_status.code": "0"}
	if rec.Subject != "carol@example.com" || rec.Kind != "grpc" || rec.Operation != "/grpc.testing.TestService/UnaryCall" ||
		rec.Outcome != "ok" || rec.Latency != 75*time.Millisecond || !equalMaps(rec.Resources, wantRes) {
		t.Fatalf("record %+v", rec)
	}
	var snap map[string]any
	if err := json.Unmarshal(rec.Request, &snap); err != nil || strings.Contains(string(rec.Request), "secret plan") ||
		snap["responseStatus"].(map[string]any)["message"] != audit.Redacted || snap["responseSize"] != 314.0 {
		t.Fatalf("snapshot %s (%v)", rec.Request, err)
	}

	col.reset()
	req.ResponseStatus.Code = 7
	_, err := client.UnaryCall(ctx, req)
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("call: %v", err)
	}
	rec = col.only(t)
	if rec.Outcome != "error" || rec.Code != 403 || rec.Reason != "NOT_OWNER" || rec.Resources["response_status.code"] != "7" {
		t.Fatalf("failed call's record %+v", rec)
	}

	col.reset()
	st, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseType: testpb.PayloadType_COMPRESSABLE})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err != nil {
			break
		}
	}
	rec = col.only(t)
	if rec.Operation != "/grpc.testing.TestService/StreamingOutputCall" || rec.Resources["responseType"] != "COMPRESSABLE" ||
		rec.Latency != time.Second || rec.Outcome != "ok" {
		t.Fatalf("stream record %+v", rec)
	}

	col.reset()
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if recs := col.Records(); len(recs) != 0 {
		t.Fatalf("EmptyCall is not selected; got %+v", recs)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
