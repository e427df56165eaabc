package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Each scenario is a list of calls on one key of a window of limit per 1s:
// when, with what maxWait, and what the caller hears.
func TestSlidingWindowScenarios(t *testing.T) {
	ms := time.Millisecond
	type call struct {
		at, maxWait time.Duration
		wait        time.Duration // the wait if ok, the Retry-After if not
		ok          bool
		times       int // the call repeated (1 if 0)
	}
	for _, tc := range []struct {
		name  string
		limit int
		calls []call
	}{
		{"limit at once, then refused until the first leaves", 10, []call{
			{at: 0, ok: true, times: 10},
			{at: 0, wait: 1000 * ms, times: 3},
			{at: 999 * ms, wait: 1 * ms},
			{at: 1000 * ms, ok: true, times: 10},
			{at: 1000 * ms, wait: 1000 * ms},
		}},
		{"queued into the window they will run in", 10, []call{
			{at: 0, ok: true, times: 10},
			{at: 0, maxWait: 2 * time.Second, wait: 1000 * ms, ok: true, times: 10},
			{at: 0, maxWait: 2 * time.Second, wait: 2000 * ms, ok: true, times: 10},
			{at: 0, maxWait: 2 * time.Second, wait: 3000 * ms},
			{at: 0, maxWait: 3 * time.Second, wait: 3000 * ms, ok: true},
			{at: 100 * ms, wait: 2900 * ms}, // behind the queue, not before it
		}},
		{"a maxWait short of the room refuses", 10, []call{
			{at: 0, ok: true, times: 10},
			{at: 0, maxWait: 999 * ms, wait: 1000 * ms, times: 2},
			{at: 1 * ms, maxWait: 999 * ms, wait: 999 * ms, ok: true},
		}},
		{"spread calls leave one by one", 3, []call{
			{at: 0, ok: true},
			{at: 300 * ms, ok: true},
			{at: 600 * ms, ok: true},
			{at: 700 * ms, wait: 300 * ms},
			{at: 1000 * ms, ok: true},
			{at: 1000 * ms, wait: 300 * ms},
			{at: 1200 * ms, maxWait: 100 * ms, wait: 100 * ms, ok: true},
			{at: 1250 * ms, maxWait: time.Second, wait: 350 * ms, ok: true},
		}},
		{"the oldest slice waits for its latest call (the documented slack)", 2, []call{
			{at: 0, ok: true},
			{at: 30 * ms, ok: true},
			// An exact log would admit at 1000ms: the call of 0 has left.
			{at: 1000 * ms, wait: 30 * ms},
			{at: 1000 * ms, maxWait: 30 * ms, wait: 30 * ms, ok: true},
			{at: 1030 * ms, ok: true},
			{at: 1030 * ms, wait: 1000 * ms},
		}},
		{"a quiet spell empties the window", 5, []call{
			{at: 0, ok: true, times: 5},
			{at: 10 * time.Second, ok: true, times: 5},
			{at: 10 * time.Second, wait: 1000 * ms},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, SlidingWindow, tc.limit, time.Second, 1, &c)
			for i, cl := range tc.calls {
				c.set(cl.at)
				for range max(cl.times, 1) {
					wait, ok := reserve(t, l, "k", cl.maxWait)
					if wait != cl.wait || ok != cl.ok {
						t.Fatalf("call %d at %v (maxWait %v): (%v, %v), want (%v, %v)", i, cl.at, cl.maxWait, wait, ok, cl.wait, cl.ok)
					}
				}
			}
		})
	}
}

// A client keeping to the limit, one call every Per/Limit, is never refused
// over a simulated minute (Limit <= 20: its calls fall in distinct slices).
func TestSlidingWindowAdmitsAClientAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		limit int
		per   time.Duration
	}{{10, time.Second}, {20, time.Second}, {1, time.Second}, {6, time.Minute}} {
		t.Run(fmt.Sprintf("%d per %s", tc.limit, tc.per), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, SlidingWindow, tc.limit, tc.per, 1, &c)
			every := tc.per / time.Duration(tc.limit)
			n := 0
			for ; c.elapsed() < time.Minute; c.advance(every) {
				if wait, ok := reserve(t, l, "k", 0); !ok {
					t.Fatalf("call %d at %v refused, Retry-After %v", n, c.elapsed(), wait)
				}
				n++
			}
			if want := int(time.Minute / every); n != want {
				t.Fatalf("%d calls admitted, want %d", n, want)
			}
		})
	}
}

// Property: whatever the arrivals and maxWaits, the calls admitted, at the
// times they are told to run, never number more than Limit in any span of
// Per; waits stay within maxWait; a refused call's Retry-After is no shorter
// than an exact log of the admitted calls would make it, and longer by at
// most a slice (Per/20) and the rounding to a millisecond.
func TestSlidingWindowNeverOverLimit(t *testing.T) {
	for _, tc := range []struct {
		limit int
		per   time.Duration
	}{{1, time.Second}, {3, time.Second}, {10, time.Second}, {25, time.Second}, {100, time.Second}, {7, time.Minute}, {5, 333 * time.Millisecond}} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%d per %s seed %d", tc.limit, tc.per, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 42))
				var c fakeClock
				l := newLimiter(t, SlidingWindow, tc.limit, tc.per, 1, &c)
				mean := tc.per / time.Duration(3*tc.limit) // offered: about thrice the limit
				var runs []time.Duration
				for range 10000 {
					if rng.IntN(4) > 0 { // else: another call at the same instant
						c.advance(time.Duration(rng.ExpFloat64() * float64(mean)))
					}
					maxWait := []time.Duration{0, 0, tc.per / 7, tc.per, 3 * tc.per}[rng.IntN(5)]
					wait, ok := reserve(t, l, "k", maxWait)
					if !ok {
						exact := exactWait(runs, c.elapsed(), tc.limit, tc.per)
						if wait < exact {
							t.Fatalf("at %v: Retry-After %v, but an exact log has no room for %v", c.elapsed(), wait, exact)
						}
						if slack := tc.per/windowSlices + time.Millisecond; wait > exact+slack {
							t.Fatalf("at %v: Retry-After %v, more than a slice after an exact log's %v", c.elapsed(), wait, exact)
						}
						continue
					}
					if wait < 0 || wait > maxWait {
						t.Fatalf("at %v: wait %v outside [0, %v]", c.elapsed(), wait, maxWait)
					}
					runs = append(runs, c.elapsed()+wait)
				}
				if len(runs) < 10000/6 {
					t.Fatalf("only %d of 10000 admitted", len(runs))
				}
				if !slices.IsSorted(runs) {
					t.Fatal("calls do not run in the order they were admitted")
				}
				for i, j := 0, 0; i < len(runs); i++ { // the span of Per ending at runs[i]
					for runs[j] <= runs[i]-tc.per {
						j++
					}
					if n := i - j + 1; n > tc.limit {
						t.Fatalf("%d calls run in (%v, %v], limit %d", n, runs[i]-tc.per, runs[i], tc.limit)
					}
				}
			})
		}
	}
}

// exactWait is how long, from now, a call must wait for the sorted run
// times to leave room under the limit in every span of per ending at it
// (and calls queued at or after it).
func exactWait(runs []time.Duration, now time.Duration, limit int, per time.Duration) time.Duration {
	at := now
	if len(runs) > 0 {
		at = max(at, runs[len(runs)-1])
	}
	if len(runs) >= limit {
		at = max(at, runs[len(runs)-limit]+per)
	}
	return at - now
}
