package broker_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/goxkit/gox/broker"
)

func TestSessions(t *testing.T) {
	var ss broker.Sessions[*int]
	var opened, discarded atomic.Int32
	open := func() (*int, error) { opened.Add(1); n := 0; return &n, nil }
	discard := func(*int) { discarded.Add(1) }
	var wg sync.WaitGroup
	got := make([]*int, 8)
	for i := range got {
		wg.Go(func() {
			s, err := ss.Get("t", "g", true, open, discard)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("two sessions for one topic and group")
		}
	}
	if opened.Load()-discarded.Load() != 1 {
		t.Fatalf("opened %d, discarded %d: one must stay", opened.Load(), discarded.Load())
	}
	if s, err := ss.Get("t", "g", false, open, discard); err != nil || s != got[0] {
		t.Fatal("a bare Get did not return the session")
	}
	for i := range 7 {
		if _, last := ss.Release("t", "g"); last {
			t.Fatalf("release %d of 8 was called the last", i+1)
		}
	}
	if s, last := ss.Release("t", "g"); !last || s != got[0] {
		t.Fatal("the eighth release was not the last")
	}
	if _, last := ss.Release("t", "g"); last {
		t.Fatal("a release without a session ended one")
	}
	failing := errors.New("unreachable")
	if _, err := ss.Get("t", "h", true, func() (*int, error) { return nil, failing }, discard); !errors.Is(err, failing) {
		t.Fatalf("open error: %v", err)
	}
	_, _ = ss.Get("t", "k", true, open, discard)
	if n := len(ss.Close()); n != 1 {
		t.Fatalf("Close returned %d sessions, want 1", n)
	}
	if _, err := ss.Get("t", "g", true, open, discard); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}
