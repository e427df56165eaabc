package timeout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/transport"
)

// callFrom makes a call through timeout.Client(d) from inside a server
// request whose caller sent budget, and returns the budget header the call
// carried and the deadline its handler saw.
func callFrom(t *testing.T, ctx context.Context, budget string, d time.Duration, service string) (string, time.Duration) {
	t.Helper()
	in := goxtest.NewTransport(transport.KindHTTP, "GET /orders")
	if budget != "" {
		in.Request.Set(timeout.BudgetHeader, budget)
	}
	out := goxtest.NewTransport(transport.KindHTTP, "GET /users/1")
	ctx = transport.NewClientContext(transport.NewServerContext(ctx, in), out)
	var left time.Duration
	_, _ = timeout.Client(d, timeout.WithService(service))(func(ctx context.Context, _ any) (any, error) {
		if dl, ok := ctx.Deadline(); ok {
			left = time.Until(dl)
		}
		return nil, nil
	})(ctx, nil)
	return out.Request.Get(timeout.BudgetHeader), left
}

func TestClientAppendsItsHopToTheBudget(t *testing.T) {
	got, left := callFrom(t, context.Background(), "gateway=3ms/1s", 250*time.Millisecond, "orders")
	if !strings.HasPrefix(got, "gateway=3ms/1s,orders=") || !strings.HasSuffix(got, "/250ms") {
		t.Fatalf("budget header %q; want the caller's hops then orders=<used>/250ms", got)
	}
	if left <= 0 || left > 250*time.Millisecond {
		t.Fatalf("the call had %v; want at most its 250ms", left)
	}
}

func TestClientKeepsASoonerDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, left := callFrom(t, ctx, "", time.Second, "orders"); left > 50*time.Millisecond {
		t.Fatalf("the call had %v; the caller's 50ms must win over the client's 1s", left)
	}
}

func TestClientDropsAnOversizedOrForgedBudget(t *testing.T) {
	got, _ := callFrom(t, context.Background(), strings.Repeat("x=1ms/1s,", 100), 0, "a,b=c")
	if got != "a_b_c=0s/none" && !strings.HasPrefix(got, "a_b_c=") {
		t.Fatalf("budget header %q; want an oversized incoming value dropped and the name's separators replaced", got)
	}
	if strings.Contains(got, "x=1ms") {
		t.Fatalf("an incoming budget of %d bytes was passed on", 900)
	}
}

func TestServerHonoursTheHTTPCallersTimeout(t *testing.T) {
	for _, c := range []struct {
		header string
		max    time.Duration
		min    time.Duration
	}{
		{"50ms", 50 * time.Millisecond, 40 * time.Millisecond},
		{"", time.Second, 900 * time.Millisecond},
		{"soon", time.Second, 900 * time.Millisecond}, // malformed: ignored
		{"-5s", time.Second, 900 * time.Millisecond},  // negative: ignored
		{"1h", time.Second, 900 * time.Millisecond},   // longer than the server's own bound
	} {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /x")
		if c.header != "" {
			tr.Request.Set(timeout.HeaderTimeout, c.header)
		}
		var left time.Duration
		_, _ = timeout.Timeout(time.Second)(func(ctx context.Context, _ any) (any, error) {
			dl, _ := ctx.Deadline()
			left = time.Until(dl)
			return nil, nil
		})(transport.NewServerContext(context.Background(), tr), nil)
		if left > c.max || left < c.min {
			t.Errorf("%s %q: the handler had %v; want %v..%v", timeout.HeaderTimeout, c.header, left, c.min, c.max)
		}
	}
}
