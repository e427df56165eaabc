package errors_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
)

var errUserNotFound = errors.NotFound("USER_NOT_FOUND", "user not found")

func TestIsMatchesCodeAndReason(t *testing.T) {
	decoded := &errors.Error{Code: 404, Reason: "USER_NOT_FOUND", Message: "user 7 not found"}
	wrapped := fmt.Errorf("load profile: %w", decoded)
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same code and reason, other message", decoded, errUserNotFound, true},
		{"through fmt wrapping", wrapped, errUserNotFound, true},
		{"other reason", errors.NotFound("ORDER_NOT_FOUND", "x"), errUserNotFound, false},
		{"other code", errors.Conflict("USER_NOT_FOUND", "x"), errUserNotFound, false},
		{"plain error", stderrors.New("boom"), errUserNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stderrors.Is(tt.err, tt.target); got != tt.want {
				t.Fatalf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		err    *errors.Error
		code   int
		reason string
		is     func(error) bool
	}{
		{errors.BadRequest("", "m"), 400, errors.ReasonBadRequest, errors.IsBadRequest},
		{errors.Unauthorized("", "m"), 401, errors.ReasonUnauthorized, errors.IsUnauthorized},
		{errors.Forbidden("", "m"), 403, errors.ReasonForbidden, errors.IsForbidden},
		{errors.NotFound("", "m"), 404, errors.ReasonNotFound, errors.IsNotFound},
		{errors.Conflict("", "m"), 409, errors.ReasonConflict, errors.IsConflict},
		{errors.TooManyRequests("", "m"), 429, errors.ReasonTooManyRequests, errors.IsTooManyRequests},
		{errors.Internal("", "m"), 500, errors.ReasonInternal, errors.IsInternal},
		{errors.Unavailable("", "m"), 503, errors.ReasonUnavailable, errors.IsUnavailable},
		{errors.Timeout("", "m"), 504, errors.ReasonTimeout, errors.IsTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			if tt.err.Code != tt.code || tt.err.Reason != tt.reason || tt.err.Message != "m" {
				t.Fatalf("got %+v", tt.err)
			}
			if !tt.is(fmt.Errorf("wrapped: %w", tt.err)) {
				t.Fatal("Is helper does not see through wrapping")
			}
			if !strings.Contains(tt.err.Stack(), "TestConstructors") {
				t.Fatalf("stack does not name the caller:\n%s", tt.err.Stack())
			}
		})
	}
}

func TestFromError(t *testing.T) {
	if errors.FromError(nil) != nil {
		t.Fatal("FromError(nil) != nil")
	}
	if got := errors.FromError(fmt.Errorf("x: %w", context.DeadlineExceeded)); got.Code != 504 {
		t.Fatalf("deadline -> %d, want 504", got.Code)
	}
	if got := errors.FromError(context.Canceled); got.Code != errors.StatusClientClosed {
		t.Fatalf("canceled -> %d, want 499", got.Code)
	}
	foreign := stderrors.New("pq: password authentication failed for user admin")
	e := errors.FromError(foreign)
	if e.Code != 500 || !stderrors.Is(e, foreign) {
		t.Fatalf("foreign error: %+v", e)
	}
	if msg := e.Public(true).Message; strings.Contains(msg, "password") {
		t.Fatalf("production view leaks the internal message: %q", msg)
	}
	if msg := e.Public(false).Message; !strings.Contains(msg, "password") {
		t.Fatalf("development view hides the message: %q", msg)
	}
}

func TestWithCauseKeepsIdentity(t *testing.T) {
	cause := stderrors.New("sql: no rows")
	err := errUserNotFound.WithCause(cause).WithMetadata(map[string]string{"id": "7"})
	if !stderrors.Is(err, errUserNotFound) || !stderrors.Is(err, cause) {
		t.Fatal("lost identity or cause")
	}
	if errUserNotFound.Metadata != nil {
		t.Fatal("WithMetadata mutated the sentinel")
	}
	pub := err.Public(false)
	if pub.Unwrap() != nil || pub.Stack() != "" {
		t.Fatal("public view carries cause or stack")
	}
	if pub.Metadata["id"] != "7" {
		t.Fatal("public view dropped metadata")
	}
}

// Error's text is what logs show: the format it has always had, which fmt
// printed (metadata as %v prints a map, keys sorted; the cause last).
func TestErrorText(t *testing.T) {
	for _, e := range []*errors.Error{
		errors.New(429, "RATE_LIMITED", "rate limit of GET /x exceeded"),
		errors.New(503, "OVERLOADED", "").WithMetadata(map[string]string{"retry-after": "1s", "b": "x y", "a": ""}),
		errors.NotFound("USER_NOT_FOUND", "user 7").WithCause(io.EOF),
		{},
	} {
		want := fmt.Sprintf("error: code = %d reason = %s message = %s", e.Code, e.Reason, e.Message)
		if len(e.Metadata) > 0 {
			want += fmt.Sprintf(" metadata = %v", e.Metadata)
		}
		if c := stderrors.Unwrap(e); c != nil {
			want += " cause = " + c.Error()
		}
		if got := e.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}
