package grpc_test

import (
	"context"
	stderrors "errors"
	"io"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// simpleRules stands in for protovalidate (contrib/validate/protovalidate
// tests the real one): a request (SimpleRequest, and the streams'
// StreamingInputCallRequest and StreamingOutputCallRequest) needs a
// payload; a SimpleRequest a response size of at most 10.
type simpleRules struct{}

func (simpleRules) ValidateProto(msg proto.Message, _ bool) ([]validate.Violation, error) {
	req, ok := msg.(interface{ GetPayload() *testpb.Payload })
	if !ok {
		return nil, nil
	}
	var vs []validate.Violation
	if req.GetPayload() == nil {
		vs = append(vs, validate.Violation{Field: "payload", Rule: "required", Description: "value is required"})
	}
	if s, ok := msg.(*testpb.SimpleRequest); ok && s.GetResponseSize() > 10 {
		vs = append(vs, validate.Violation{Field: "response_size", Rule: "int32.lte", Description: "value must be less than or equal to 10"})
	}
	return vs, nil
}

// TestValidationErrorCarriesBadRequest: a request the validation middleware
// refuses reaches a plain grpc-go client as InvalidArgument with a
// google.rpc.BadRequest naming each field, and gox's client decodes it to
// the server's *errors.Error.
func TestValidationErrorCarriesBadRequest(t *testing.T) {
	srv, goxConn := serveTest(t, xgrpc.DefaultConfig(), &service{}, []xgrpc.Option{xgrpc.WithMiddleware(validate.Server(validate.WithProto(simpleRules{})))})
	bad := &testpb.SimpleRequest{ResponseSize: 11}
	serverErr := validate.New(validate.WithProto(simpleRules{})).Validate(bad)

	plain, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	_, err = testpb.NewTestServiceClient(plain).UnaryCall(context.Background(), bad)
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("status %v", st)
	}
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.BadRequest); ok {
			br = d
		}
	}
	want := []*errdetails.BadRequest_FieldViolation{
		{Field: "payload", Description: `fails "required": value is required`},
		{Field: "response_size", Description: `fails "int32.lte": value must be less than or equal to 10`},
	}
	if br == nil || len(br.FieldViolations) != len(want) {
		t.Fatalf("details %v, want a BadRequest with %v", st.Details(), want)
	}
	for i, fv := range br.FieldViolations {
		if !proto.Equal(fv, want[i]) {
			t.Errorf("violation %d: %v, want %v", i, fv, want[i])
		}
	}

	_, err = testpb.NewTestServiceClient(goxConn).UnaryCall(context.Background(), bad)
	got, ok := stderrors.AsType[*errors.Error](err)
	want0 := errors.FromError(serverErr)
	if !ok || got.Code != 400 || got.Reason != want0.Reason || got.Message != want0.Message ||
		got.Metadata["field"] != "payload,response_size" || len(got.Metadata) != 1 {
		t.Fatalf("gox client decoded %+v, want %+v", got, want0)
	}

	if _, err := testpb.NewTestServiceClient(goxConn).UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: payload("ok")}); err != nil {
		t.Fatalf("valid request: %v", err)
	}
}

// A BadRequest from a server that sends no ErrorInfo (not gox) decodes to
// gox's validation error: reason INVALID_FIELD, the fields in "field".
func TestForeignBadRequestDecodes(t *testing.T) {
	st, _ := status.New(codes.InvalidArgument, "bad").WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "name", Description: "too short"}, {Field: `labels["a,b"]`, Description: "too long"},
	}})
	e, _ := stderrors.AsType[*errors.Error](xgrpc.FromStatus(st.Err()))
	if e == nil || e.Code != 400 || e.Reason != validate.ReasonInvalidField || e.Metadata["field"] != `name,labels["a%2Cb"]` {
		t.Fatalf("decoded %+v", e)
	}
}

// streamService records what its stream handlers are handed: the payloads
// received, the error Recv gave, and what Send answered after it.
type streamService struct {
	testpb.UnimplementedTestServiceServer
	mu               sync.Mutex
	got              []string
	recvErr, sendErr error
	outputCalls      int
}

func (s *streamService) record(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *streamService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, ss grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	s.record(func() { s.outputCalls++ })
	for range 2 {
		if err := ss.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamService) StreamingInputCall(ss grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return ss.SendAndClose(&testpb.StreamingInputCallResponse{})
		}
		if err != nil {
			s.record(func() { s.recvErr = err })
			return err
		}
		s.record(func() { s.got = append(s.got, string(m.GetPayload().GetBody())) })
	}
}

// FullDuplexCall echoes each message; on an error from Recv it tries to
// send once more and then returns nil, as a careless handler might.
func (s *streamService) FullDuplexCall(ss grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			sendErr := ss.Send(&testpb.StreamingOutputCallResponse{Payload: payload("after the error")})
			s.record(func() { s.recvErr, s.sendErr = err, sendErr })
			return nil
		}
		s.record(func() { s.got = append(s.got, string(m.GetPayload().GetBody())) })
		if err := ss.Send(&testpb.StreamingOutputCallResponse{Payload: m.GetPayload()}); err != nil {
			return err
		}
	}
}

// serveStreams serves a streamService behind the validation middleware
// with simpleRules and opts, and returns it, a plain grpc-go client and one
// through gox's client.
func serveStreams(t *testing.T, opts ...validate.Option) (*streamService, testpb.TestServiceClient, testpb.TestServiceClient) {
	t.Helper()
	svc := &streamService{}
	mw := validate.Server(append([]validate.Option{validate.WithProto(simpleRules{})}, opts...)...)
	srv, goxConn := serveTest(t, xgrpc.DefaultConfig(), svc, []xgrpc.Option{xgrpc.WithMiddleware(mw)})
	plain, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	return svc, testpb.NewTestServiceClient(plain), testpb.NewTestServiceClient(goxConn)
}

// refusedPayload checks that err is what a plain client gets for a message
// without a payload: InvalidArgument with a BadRequest naming the field.
func refusedPayload(t *testing.T, what string, err error) {
	t.Helper()
	st, _ := status.FromError(err)
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.BadRequest); ok {
			br = d
		}
	}
	want := &errdetails.BadRequest_FieldViolation{Field: "payload", Description: `fails "required": value is required`}
	if st.Code() != codes.InvalidArgument || br == nil || len(br.FieldViolations) != 1 || !proto.Equal(br.FieldViolations[0], want) ||
		st.Message() != `field "payload" fails "required": value is required` {
		t.Fatalf("%s: %v (details %v), want InvalidArgument with a BadRequest naming payload", what, err, st.Details())
	}
}

// Every message a server receives on a stream is validated as it arrives:
// a bad one mid-stream ends the call with InvalidArgument and a BadRequest
// naming the field, the handler never sees it, and good messages pass.
func TestStreamMessagesAreValidated(t *testing.T) {
	ctx := context.Background()
	good := func(s string) *testpb.StreamingInputCallRequest {
		return &testpb.StreamingInputCallRequest{Payload: payload(s)}
	}

	t.Run("client streaming", func(t *testing.T) {
		svc, client, goxClient := serveStreams(t)
		in, err := client.StreamingInputCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []*testpb.StreamingInputCallRequest{good("a"), good("b"), {}, good("c")} {
			if err := in.Send(m); err != nil {
				break // io.EOF: the server has ended the call
			}
		}
		_, err = in.CloseAndRecv()
		refusedPayload(t, "client stream", err)
		svc.mu.Lock()
		got, recvErr := svc.got, svc.recvErr
		svc.mu.Unlock()
		if strings.Join(got, ",") != "a,b" {
			t.Errorf("handler received %q, want the two messages before the bad one", got)
		}
		// the handler's Recv gave it the same error: a status, and the gox error
		var vs validate.Violations
		if e, ok := stderrors.AsType[*errors.Error](recvErr); status.Code(recvErr) != codes.InvalidArgument || !ok ||
			e.Reason != validate.ReasonInvalidField || !stderrors.As(recvErr, &vs) || len(vs) != 1 || vs[0].Field != "payload" {
			t.Errorf("handler's Recv returned %v", recvErr)
		}

		// gox's client decodes it to the server's error
		in, err = goxClient.StreamingInputCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = in.Send(&testpb.StreamingInputCallRequest{})
		_, err = in.CloseAndRecv()
		if e, ok := stderrors.AsType[*errors.Error](err); !ok || e.Code != 400 || e.Reason != validate.ReasonInvalidField || e.Metadata["field"] != "payload" {
			t.Fatalf("gox client: %v", err)
		}
	})

	t.Run("bidirectional", func(t *testing.T) {
		svc, client, _ := serveStreams(t)
		bidi, err := client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := bidi.Send(&testpb.StreamingOutputCallRequest{Payload: payload("ping")}); err != nil {
			t.Fatal(err)
		}
		if echo, err := bidi.Recv(); err != nil || string(echo.GetPayload().GetBody()) != "ping" {
			t.Fatalf("good message: %v %v", echo, err)
		}
		if err := bidi.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
			t.Fatal(err)
		}
		// the handler returns nil and tries to send after Recv's error:
		// the client still gets the error, and nothing after the echo
		reply, err := bidi.Recv()
		if reply != nil {
			t.Fatalf("the server sent %v after the bad message", reply)
		}
		refusedPayload(t, "bidi stream", err)
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if status.Code(svc.recvErr) != codes.InvalidArgument || status.Code(svc.sendErr) != codes.InvalidArgument {
			t.Errorf("handler's Recv %v, Send after it %v; want both InvalidArgument", svc.recvErr, svc.sendErr)
		}
	})

	t.Run("server streaming", func(t *testing.T) {
		svc, client, _ := serveStreams(t)
		out, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = out.Recv()
		refusedPayload(t, "server stream's request", err)

		out, err = client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{Payload: payload("x")})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; ; n++ {
			if _, err := out.Recv(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("good request: %v", err)
			}
		}
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if n != 2 || svc.outputCalls != 1 {
			t.Fatalf("good request: %d replies, method called %d times (the bad request must not reach it)", n, svc.outputCalls)
		}
	})

	t.Run("skipped", func(t *testing.T) {
		_, client, _ := serveStreams(t, validate.WithSkip(middleware.Exact("/grpc.testing.TestService/FullDuplexCall")))
		bidi, err := client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = bidi.Send(&testpb.StreamingOutputCallRequest{})
		if _, err := bidi.Recv(); err != nil {
			t.Fatalf("a skipped operation's message: %v", err)
		}
		_ = bidi.CloseSend()
		if _, err := bidi.Recv(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	})
}
