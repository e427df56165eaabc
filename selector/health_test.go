package selector

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/breaker"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/registry"
)

func testNodes(n int) []*Node {
	var out []*Node
	for i := range n {
		ins := &registry.ServiceInstance{ID: fmt.Sprint("n", i), Name: "svc"}
		out = append(out, NewNode(fmt.Sprintf("10.0.0.%d:80", i+1), ins))
	}
	return out
}

// call picks once and ends the call with the error fail returns for the node.
func call(t *testing.T, s *Selector, ctx context.Context, fail func(*Node) error) (*Node, error) {
	t.Helper()
	n, done, err := s.Pick(ctx)
	if err != nil {
		return nil, err
	}
	done(ctx, DoneInfo{Err: fail(n)})
	return n, nil
}

var down = errors.Unavailable("", "connection refused")

func TestFailingInstanceIsEjectedThenTriedAgain(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := New("svc", NewRoundRobin()).SetInstanceHealth(InstanceHealth{Breaker: func() *breaker.SRE { return breaker.New(breaker.WithMinRequests(1 << 30)) }})
	s.guard.now = func() time.Time { return now }
	ns := testNodes(3)
	s.Apply(ns)
	bad := ns[1].Address
	failBad := func(n *Node) error {
		if n.Address == bad {
			return down
		}
		return nil
	}
	got := map[string]int{}
	for range 30 { // the bad node fails its 5th call within the first 15
		n, err := call(t, s, context.Background(), failBad)
		if err != nil {
			t.Fatal(err)
		}
		got[n.Address]++
	}
	if got[bad] != 5 {
		t.Fatalf("the failing node got %d of 30 calls; want exactly 5 before its ejection", got[bad])
	}
	// the ejection lasts 10 s: just before, still none; after, it is tried again
	now = now.Add(9 * time.Second)
	for range 10 {
		if n, _ := call(t, s, context.Background(), failBad); n.Address == bad {
			t.Fatal("ejected node picked within its ejection")
		}
	}
	now = now.Add(2 * time.Second)
	seen := false
	for range 10 {
		n, _ := call(t, s, context.Background(), func(*Node) error { return nil })
		seen = seen || n.Address == bad
	}
	if !seen {
		t.Fatal("node not picked again after its ejection ended")
	}
	// health is kept by address across a discovery update
	again := testNodes(3)
	s.Apply(again)
	if again[1].health != ns[1].health {
		t.Fatal("a discovery update forgot what was learned of an address that stayed")
	}
}

func TestNeverMoreThanHalfEjected(t *testing.T) {
	s := New("svc", NewRoundRobin()).SetInstanceHealth(InstanceHealth{Breaker: func() *breaker.SRE { return breaker.New(breaker.WithMinRequests(1 << 30)) }})
	ns := testNodes(2)
	s.Apply(ns)
	for range 40 {
		if _, err := call(t, s, context.Background(), func(*Node) error { return down }); err != nil {
			t.Fatal(err)
		}
	}
	ejected := 0
	for _, n := range ns {
		if n.Ejected() {
			ejected++
		}
	}
	if ejected != 1 {
		t.Fatalf("%d of 2 failing nodes ejected; the cap of 50%% allows exactly 1", ejected)
	}
}

func TestEveryBreakerOpenFailsAtOnceNamingTheService(t *testing.T) {
	s := New("billing", NewP2C()).SetInstanceHealth(InstanceHealth{ConsecutiveFailures: -1})
	s.Apply(testNodes(2))
	var err error
	for range 2000 {
		if _, err = call(t, s, context.Background(), func(*Node) error { return down }); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("2000 calls to instances failing every call: no breaker ever opened")
	}
	var e *errors.Error
	if !stderrors.As(err, &e) || e.Code != 503 || e.Reason != ReasonCircuitOpen || !strings.Contains(e.Message, "billing") {
		t.Fatalf("err = %v; want 503 %s naming billing", err, ReasonCircuitOpen)
	}
}

func TestRetryGoesToAnotherInstance(t *testing.T) {
	s := New("svc", NewRoundRobin())
	s.Apply(testNodes(3))
	for range 20 {
		ctx := NewAttemptsContext(context.Background())
		seen := map[string]bool{}
		for range 3 {
			n, done, err := s.Pick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if seen[n.Address] {
				t.Fatalf("attempt went back to %s while another instance was untried", n.Address)
			}
			seen[n.Address] = true
			done(ctx, DoneInfo{})
		}
		// all tried: a fourth attempt still gets one
		if _, _, err := s.Pick(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
		{io.ErrUnexpectedEOF, true}, // no reply: 500 without a reason
		{errors.Unavailable("", "x"), true},
		{errors.New(502, "", "x"), true},
		{errors.New(504, "", "x"), true},
		{errors.NotFound("USER_NOT_FOUND", "x"), false},
		{errors.BadRequest("", "x"), false},
		{errors.Internal("LEDGER_CLOSED", "x"), false},
		{errors.Internal("", "x"), true},
		{errors.Internal("PANIC", "x"), true},
		{errors.TooManyRequests("", "x"), false},
	} {
		if got := ServerFailure(c.err); got != c.want {
			t.Errorf("ServerFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A node that never wins on load — it joined after another settled below
// the optimistic initial latency — is still tried once ProbeAfter passed.
func TestP2CProbesANodeThatNeverWon(t *testing.T) {
	clock := time.Unix(1000, 0)
	p := NewP2C()
	p.now = func() time.Time { return clock }
	fast, idle := &Node{Address: "fast", Weight: 1}, &Node{Address: "idle", Weight: 1}
	for range 20 { // fast settles well below 1 ms
		_, done, _ := p.Pick(context.Background(), []*Node{fast})
		done(context.Background(), DoneInfo{Latency: 100 * time.Microsecond})
	}
	picks := map[string]int{}
	for range 50 {
		n, done, _ := p.Pick(context.Background(), []*Node{fast, idle})
		picks[n.Address]++
		done(context.Background(), DoneInfo{Latency: 100 * time.Microsecond})
		clock = clock.Add(100 * time.Millisecond) // 5 s in all
	}
	if picks["idle"] == 0 {
		t.Fatalf("the node that never won on load was never tried in 5s: %v", picks)
	}
	if picks["fast"] < 40 {
		t.Fatalf("probing took more than it should: %v", picks)
	}
}
