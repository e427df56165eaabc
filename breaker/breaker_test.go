package breaker

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTest() (*SRE, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New(withClock(c.now)), c
}

// rejected counts how many of n calls Allow turns away when every allowed
// call ends with ok.
func rejected(b *SRE, c *clock, n int, ok bool) int {
	r := 0
	for range n {
		c.advance(time.Millisecond)
		if b.Allow() != nil {
			r++
			continue
		}
		if ok {
			b.Success()
		} else {
			b.Failure()
		}
	}
	return r
}

func TestHealthyBackendIsNeverThrottled(t *testing.T) {
	b, c := newTest()
	if r := rejected(b, c, 5000, true); r != 0 {
		t.Fatalf("%d of 5000 calls to a healthy backend rejected", r)
	}
}

func TestFailingBackendIsShedThenRecovers(t *testing.T) {
	b, c := newTest()
	if r := rejected(b, c, 19, false); r != 0 {
		t.Fatalf("%d calls rejected below the minimum of 20 requests", r)
	}
	if r := rejected(b, c, 2000, false); r < 1800 {
		t.Fatalf("a backend failing every call: %d of 2000 calls rejected, want > 90%%", r)
	}
	_, _, drop := b.Stats()
	if drop < 0.9 {
		t.Fatalf("drop probability %.2f while the backend is down", drop)
	}
	// the backend recovers: the few calls let through succeed and the
	// rejection rate falls until, one window later, nothing is rejected
	first := rejected(b, c, 3000, true)
	t.Logf("down: drop %.3f; after recovery: %d of 3000 rejected", drop, first)
	last := rejected(b, c, 3000, true)
	if last >= first/4 {
		t.Fatalf("after recovery %d then %d of 3000 calls rejected; want a steep fall", first, last)
	}
	c.advance(10 * time.Second)
	if r := rejected(b, c, 1000, true); r != 0 {
		t.Fatalf("a window after recovery %d calls still rejected", r)
	}
}

func TestPartlyFailingBackendGetsSomeTraffic(t *testing.T) {
	b, c := newTest()
	allowed, accepted := 0, 0
	for i := range 4000 {
		c.advance(time.Millisecond)
		if b.Allow() != nil {
			continue
		}
		allowed++
		if i%10 < 8 { // 80% succeed: above 1/K, so the throttle stays mostly out of the way
			accepted++
			b.Success()
		} else {
			b.Failure()
		}
	}
	if allowed < 3200 {
		t.Fatalf("a backend accepting 80%% of calls got %d of 4000", allowed)
	}
}

func TestOldBucketsLeaveTheWindow(t *testing.T) {
	b, c := newTest()
	rejected(b, c, 100, false)
	c.advance(11 * time.Second)
	if r, a, _ := b.Stats(); r != 0 || a != 0 {
		t.Fatalf("window holds %d requests, %d accepts 11 s later", r, a)
	}
	if b.Allow() != nil {
		t.Fatal("rejected with an empty window")
	}
}
