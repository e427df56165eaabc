package grpc_test

import (
	"context"
	stderrors "errors"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/validate"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// simpleRules stands in for protovalidate (contrib/validate/protovalidate
// tests the real one): a SimpleRequest needs a payload and a response size
// of at most 10.
type simpleRules struct{}

func (simpleRules) ValidateProto(msg proto.Message, _ bool) ([]validate.Violation, error) {
	req, ok := msg.(*testpb.SimpleRequest)
	if !ok {
		return nil, nil
	}
	var vs []validate.Violation
	if req.GetPayload() == nil {
		vs = append(vs, validate.Violation{Field: "payload", Rule: "required", Description: "value is required"})
	}
	if req.GetResponseSize() > 10 {
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
