package grpc

import (
	stderrors "errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/goxkit/gox/errors"
)

// The two directions of the code mapping agree: a gRPC code mapped to a gox
// code and back is itself, except where gox has one code for several gRPC
// ones; and a gox code of the catalog mapped to gRPC and back is itself.
func TestCodeMappingsAgree(t *testing.T) {
	merged := map[codes.Code]codes.Code{
		codes.AlreadyExists: codes.Aborted,         // both 409
		codes.OutOfRange:    codes.InvalidArgument, // both 400
		codes.Unknown:       codes.Internal,        // all three 500
		codes.DataLoss:      codes.Internal,
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		want := c
		if m, ok := merged[c]; ok {
			want = m
		}
		if got := ToGRPCCode(FromGRPCCode(c)); got != want {
			t.Errorf("%v → %d → %v, want %v", c, FromGRPCCode(c), got, want)
		}
	}
	for _, code := range []int{200, 400, 401, 403, 404, 409, 412, 429, errors.StatusClientClosed, 500, 501, 503, 504} {
		if got := FromGRPCCode(ToGRPCCode(code)); got != code {
			t.Errorf("%d → %v → %d", code, ToGRPCCode(code), got)
		}
	}
	if got := FromGRPCCode(ToGRPCCode(http.StatusRequestEntityTooLarge)); got != http.StatusTooManyRequests {
		t.Errorf("413 → ResourceExhausted → %d, want 429", got)
	}
}

// fuzzSeed returns the grpc-status-details-bin bytes a client receives for st.
func fuzzSeed(f *testing.F, st *status.Status) []byte {
	b, err := proto.Marshal(st.Proto())
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzFromStatus decodes what a client receives as a status (the
// grpc-status-details-bin trailer, a google.rpc.Status) into a gox error.
// It never panics; the code is the status's mapped back (500 for codes gRPC
// does not define); the reason and metadata are the ErrorInfo's; and the
// decoded error sent again by a gox server decodes to the same error.
func FuzzFromStatus(f *testing.F) {
	withInfo, _ := status.New(codes.NotFound, "user not found").WithDetails(&errdetails.ErrorInfo{Reason: "USER_NOT_FOUND", Domain: Domain, Metadata: map[string]string{"id": "7"}})
	badReq, _ := status.New(codes.InvalidArgument, "bad").WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "text", Description: "required"}, {Field: `tags["a,%b"]`}}})
	twoInfos, _ := withInfo.WithDetails(&errdetails.ErrorInfo{Reason: "SECOND"})
	foreign := status.New(codes.Unavailable, "down").Proto()
	foreign.Details = append(foreign.Details, &anypb.Any{TypeUrl: "type.googleapis.com/no.such.Type", Value: []byte{1, 2, 3}})
	for _, b := range [][]byte{
		fuzzSeed(f, withInfo),
		fuzzSeed(f, ToStatus(errors.TooManyRequests("RATE", "slow down").WithMetadata(map[string]string{"retry": "1s"}), true)),
		fuzzSeed(f, status.New(codes.Canceled, "context canceled")),
		fuzzSeed(f, status.New(codes.Code(99), "a code gRPC does not define")),
		fuzzSeed(f, badReq),
		fuzzSeed(f, twoInfos),
		func() []byte { b, _ := proto.Marshal(foreign); return b }(),
		{},
		{0xff, 0xff, 0xff},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, details []byte) {
		var sp spb.Status
		if proto.Unmarshal(details, &sp) != nil {
			return // grpc-go fails the call with its own error before gox sees it
		}
		st := status.FromProto(&sp)
		err := FromStatus(st.Err())
		if st.Code() == codes.OK {
			if err != nil {
				t.Fatalf("OK status decoded to %v", err)
			}
			return
		}
		e, ok := stderrors.AsType[*errors.Error](err)
		if !ok {
			t.Fatalf("decoded to %T %v, not an *errors.Error", err, err)
		}
		if e.Code != FromGRPCCode(st.Code()) || e.Message != st.Message() {
			t.Fatalf("status %v %q decoded to code %d message %q", st.Code(), st.Message(), e.Code, e.Message)
		}
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		if info != nil && (e.Reason != info.GetReason() || !maps.Equal(e.Metadata, info.GetMetadata())) {
			t.Fatalf("ErrorInfo %v decoded to reason %q metadata %v", info, e.Reason, e.Metadata)
		}
		if br := lastBadRequest(st); info == nil && br != nil {
			// a foreign BadRequest: its fields come back one by one
			var names []string
			for _, fv := range br.GetFieldViolations() {
				names = append(names, fv.GetField())
			}
			var got []string
			for n := range strings.SplitSeq(e.Metadata["field"], ",") {
				u, err := url.PathUnescape(n)
				if err != nil {
					t.Fatalf("field metadata %q: %v", e.Metadata["field"], err)
				}
				got = append(got, u)
			}
			if e.Reason != "INVALID_FIELD" || (len(names) > 0 && !slices.Equal(got, names)) {
				t.Fatalf("BadRequest %v decoded to reason %q fields %q", br, e.Reason, got)
			}
		}
		again, ok := stderrors.AsType[*errors.Error](FromStatus(ToStatus(e, false).Err()))
		if !ok || again.Code != e.Code || again.Reason != e.Reason || again.Message != e.Message || !maps.Equal(again.Metadata, e.Metadata) {
			t.Fatalf("%+v sent again decoded to %+v", e, again)
		}
	})
}

func lastBadRequest(st *status.Status) *errdetails.BadRequest {
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if d, ok := d.(*errdetails.BadRequest); ok {
			br = d
		}
	}
	return br
}

// A retry delay crosses as a standard RetryInfo detail, which clients in
// any language read, and comes back as errors.RetryAfter; a foreign
// server's RetryInfo alone is read too.
func TestRetryAfterCrossesAsRetryInfo(t *testing.T) {
	st := ToStatus(errors.TooManyRequests("RATE_LIMITED", "slow down").WithRetryAfter(1500*time.Millisecond), true)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("code %v", st.Code())
	}
	var info *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			info = ri
		}
	}
	if info == nil || info.GetRetryDelay().AsDuration() != 1500*time.Millisecond {
		t.Fatalf("details %v; want a RetryInfo of 1.5s", st.Details())
	}
	if d, ok := errors.RetryAfter(FromStatus(st.Err())); !ok || d != 1500*time.Millisecond {
		t.Fatalf("decoded %v %v", d, ok)
	}
	foreign, _ := status.New(codes.Unavailable, "busy").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(2 * time.Second)})
	if d, ok := errors.RetryAfter(FromStatus(foreign.Err())); !ok || d != 2*time.Second {
		t.Fatalf("a foreign RetryInfo decoded as %v %v", d, ok)
	}
}
