package grpc

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

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
