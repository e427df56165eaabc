package errors_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
)

func TestRetryAfter(t *testing.T) {
	base := errors.Unavailable("OVERLOADED", "busy")
	for _, tc := range []struct {
		err  error
		want time.Duration
		ok   bool
	}{
		{base.WithRetryAfter(1500 * time.Millisecond), 1500 * time.Millisecond, true},
		{base.WithRetryAfter(0), time.Millisecond, true},                                  // never zero
		{base.WithRetryAfter(-time.Second), time.Millisecond, true},                       // never negative
		{base.WithRetryAfter(1234567 * time.Nanosecond), time.Millisecond, true},          // rounded to ms
		{base.WithMetadata(map[string]string{"retry_after": "3"}), 3 * time.Second, true}, // HTTP's whole seconds
		{base.WithMetadata(map[string]string{"retry_after": "0"}), 0, false},
		{base.WithMetadata(map[string]string{"retry_after": "-1s"}), 0, false},
		{base.WithMetadata(map[string]string{"retry_after": "soon"}), 0, false},
		{base.WithMetadata(map[string]string{"retry_after": "99999999999"}), 0, false},
		{base, 0, false},
		{fmt.Errorf("wrapped: %w", base.WithRetryAfter(time.Second)), time.Second, true},
		{nil, 0, false},
	} {
		got, ok := errors.RetryAfter(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%v) = %v, %v; want %v, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
	if base.Metadata != nil {
		t.Errorf("WithRetryAfter changed the error it was called on: %v", base.Metadata)
	}
}
