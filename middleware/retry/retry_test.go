package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/selector"
	"github.com/goxkit/gox/transport"
)

// calls runs one call through the retry middleware against a handler that
// fails with errs[i] on attempt i (nil once errs runs out) and returns the
// attempts made and the call's error.
func calls(ctx context.Context, idempotent bool, errs []error, opts ...retry.Option) (int, error) {
	tr := goxtest.NewTransport(transport.KindHTTP, "GET /users/1")
	tr.TIdempotent = idempotent
	n := 0
	h := retry.Client(append([]retry.Option{retry.WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)...)(
		func(context.Context, any) (any, error) {
			n++
			if n <= len(errs) {
				return nil, errs[n-1]
			}
			return "ok", nil
		})
	_, err := h(transport.NewClientContext(ctx, tr), nil)
	return n, err
}

var refused = errors.Unavailable("UNREACHABLE", "connection refused")

func TestIdempotentCallIsRetriedUntilItSucceeds(t *testing.T) {
	n, err := calls(context.Background(), true, []error{refused, refused})
	if err != nil || n != 3 {
		t.Fatalf("attempts %d, err %v; want success on the 3rd", n, err)
	}
	n, err = calls(context.Background(), true, []error{refused, refused, refused, refused})
	if n != 3 || errors.Code(err) != 503 {
		t.Fatalf("attempts %d, err %v; want 3 attempts then the last error", n, err)
	}
}

func TestNonIdempotentCallIsNotRetried(t *testing.T) {
	if n, err := calls(context.Background(), false, []error{refused}); n != 1 || err == nil {
		t.Fatalf("a POST was tried %d times", n)
	}
	// unless the caller says it is safe
	if n, err := calls(retry.Idempotent(context.Background()), false, []error{refused}); n != 2 || err != nil {
		t.Fatalf("a call marked idempotent: %d attempts, err %v", n, err)
	}
}

func TestOnlyTransientErrorsAreRetried(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.NotFound("", "no such user"), 1},
		{errors.BadRequest("", "bad id"), 1},
		{errors.Internal("", "bug"), 1},
		{errors.Unavailable(selector.ReasonNoInstance, "service users has no instance"), 1},
		{errors.Unavailable(selector.ReasonCircuitOpen, "every breaker open"), 1},
		{refused, 2},
		{errors.New(502, "", "bad gateway"), 2},
		{errors.Timeout("", "callee timed out"), 2},
	} {
		if n, _ := calls(context.Background(), true, []error{c.err}); n != c.want {
			t.Errorf("%v: %d attempts, want %d", c.err, n, c.want)
		}
	}
}

// With backoffs up to 1 s and 30 ms left, the call waits only while a wait
// fits in the time left, never past the deadline, and returns the last
// attempt's error rather than the deadline's.
func TestNoRetryPastTheDeadline(t *testing.T) {
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		start := time.Now()
		_, err := calls(ctx, true, []error{refused, refused, refused, refused, refused, refused, refused, refused, refused, refused},
			retry.WithAttempts(10), retry.WithBackoff(time.Second, time.Second))
		cancel()
		if d := time.Since(start); d > 45*time.Millisecond {
			t.Fatalf("the call took %v with a 30ms deadline", d)
		}
		if errors.Reason(err) != "UNREACHABLE" {
			t.Fatalf("err = %v; want the last attempt's error", err)
		}
	}
}

func TestBudgetCapsRetries(t *testing.T) {
	b := retry.NewBudget(0.1, 0) // one retry per ten calls, no reserve
	retried := 0
	for range 200 {
		n, _ := calls(context.Background(), true, []error{refused, refused, refused}, retry.WithBudget(b))
		retried += n - 1
	}
	// the starting balance (10) plus 0.1 per call: 10 + 20 = 30
	if retried > 31 {
		t.Fatalf("%d retries for 200 failing calls with a 10%% budget", retried)
	}
	if retried < 25 {
		t.Fatalf("only %d retries; the budget allows ~30", retried)
	}
}

// An overloaded server's Retry-After is honoured: no attempt comes sooner
// than it asks, and none at all when the deadline comes first.
func TestRetryAfterIsHonoured(t *testing.T) {
	shed := errors.Unavailable("OVERLOADED", "server overloaded")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	n, err := calls(ctx, true, []error{shed.WithRetryAfter(5 * time.Second)})
	if n != 1 || errors.Reason(err) != "OVERLOADED" || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("Retry-After 5s, deadline 1s: %d attempts in %v, err %v; want 1 attempt at once", n, time.Since(start), err)
	}
	start = time.Now()
	n, err = calls(ctx, true, []error{shed.WithRetryAfter(30 * time.Millisecond)})
	if n != 2 || err != nil || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("Retry-After 30ms: %d attempts in %v, err %v; want 2, the second no sooner than 30ms", n, time.Since(start), err)
	}
}
