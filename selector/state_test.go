package selector

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/breaker"
)

// State tells, per node, the breaker's window and drop probability and
// whether the node is ejected, and until when.
func TestStateReportsBreakersAndEjection(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := New("svc", NewRoundRobin()).SetInstanceHealth(InstanceHealth{ConsecutiveFailures: 3,
		Breaker: func() *breaker.SRE { return breaker.New(breaker.WithMinRequests(1)) }})
	s.guard.now = func() time.Time { return now }
	ns := testNodes(3)
	s.Apply(ns)
	for range 3 {
		s.guard.done(ns[1], ns, down)
	}
	s.guard.done(ns[2], ns, nil)
	_ = ns[1].health.breaker.Allow() // computes the drop: (3 - 1.5·0) / (3+1)

	got := s.State()
	if len(got) != 3 {
		t.Fatalf("%d nodes, want 3", len(got))
	}
	want := []NodeState{
		{Address: "10.0.0.1:80", Instance: "n0", Guarded: true},
		{Address: "10.0.0.2:80", Instance: "n1", Guarded: true, Requests: 3, Drop: 0.75, Ejected: true, EjectedUntil: now.Add(10 * time.Second)},
		{Address: "10.0.0.3:80", Instance: "n2", Guarded: true, Requests: 1, Accepts: 1},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("node %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	now = now.Add(11 * time.Second)
	if st := s.State()[1]; st.Ejected || !st.EjectedUntil.IsZero() {
		t.Fatalf("after the ejection: %+v", st)
	}
}

// A selector without instance health reports its nodes unguarded.
func TestStateUnguarded(t *testing.T) {
	s := New("svc", nil).SetInstanceHealth(InstanceHealth{Disabled: true})
	s.Apply(testNodes(2))
	if _, done, err := s.Pick(context.Background()); err != nil {
		t.Fatal(err)
	} else {
		done(context.Background(), DoneInfo{Err: down})
	}
	for _, st := range s.State() {
		if st.Guarded || st.Requests != 0 || st.Ejected {
			t.Fatalf("unguarded node reports %+v", st)
		}
	}
	if got := New("svc", nil).State(); got == nil || len(got) != 0 {
		t.Fatalf("no nodes: %#v", got)
	}
}
