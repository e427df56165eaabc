package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// Over a simulated minute, probed every millisecond, the bucket admits its
// burst at once and then one call every Per/Limit, and each refusal's
// Retry-After is exactly the time until the next admission.
func TestTokenBucketOverAMinute(t *testing.T) {
	for _, tc := range []struct {
		limit, burst int
		per, every   time.Duration
	}{
		{limit: 10, per: time.Second, burst: 5, every: 100 * time.Millisecond},
		{limit: 4, per: time.Second, burst: 1, every: 250 * time.Millisecond},
		{limit: 60, per: time.Minute, burst: 3, every: time.Second},
		{limit: 100, per: 10 * time.Second, burst: 20, every: 100 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%d per %s burst %d", tc.limit, tc.per, tc.burst), func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, TokenBucket, tc.limit, tc.per, tc.burst, &c)
			var admitted []time.Duration
			for ; c.elapsed() <= time.Minute; c.advance(time.Millisecond) {
				for {
					wait, ok := reserve(t, l, "k", 0)
					if !ok {
						next := (c.elapsed()/tc.every + 1) * tc.every
						if wait != next-c.elapsed() {
							t.Fatalf("at %v: Retry-After %v, want %v", c.elapsed(), wait, next-c.elapsed())
						}
						break
					}
					if wait != 0 {
						t.Fatalf("at %v: admitted with wait %v under maxWait 0", c.elapsed(), wait)
					}
					admitted = append(admitted, c.elapsed())
				}
			}
			var want []time.Duration
			for range tc.burst {
				want = append(want, 0)
			}
			for at := tc.every; at <= time.Minute; at += tc.every {
				want = append(want, at)
			}
			if fmt.Sprint(admitted) != fmt.Sprint(want) {
				t.Fatalf("admitted %d calls at %v,\nwant %d at %v", len(admitted), admitted, len(want), want)
			}
		})
	}
}

// Callers arriving at once with a maxWait queue one Per/Limit apart; those
// the queue cannot serve in time are refused with the Retry-After of the
// next free token, and leave the queue as it was.
func TestTokenBucketQueue(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name       string
		burst      int
		maxWait    time.Duration
		callers    int
		wantWaits  []time.Duration // of the admitted, in order
		wantRetry  time.Duration   // of the refused
		laterWait  time.Duration   // of a caller 100 ms later
		laterAdmit bool
	}{
		{
			name: "burst 1, maxWait 1s", burst: 1, maxWait: time.Second, callers: 13,
			wantWaits: []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms, 600 * ms, 700 * ms, 800 * ms, 900 * ms, 1000 * ms},
			wantRetry: 1100 * ms, laterWait: 1000 * ms, laterAdmit: true,
		},
		{
			name: "burst 5, maxWait 1s", burst: 5, maxWait: time.Second, callers: 17,
			wantWaits: []time.Duration{0, 0, 0, 0, 0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms, 600 * ms, 700 * ms, 800 * ms, 900 * ms, 1000 * ms},
			wantRetry: 1100 * ms, laterWait: 1000 * ms, laterAdmit: true,
		},
		{
			name: "burst 1, maxWait 250ms", burst: 1, maxWait: 250 * ms, callers: 5,
			wantWaits: []time.Duration{0, 100 * ms, 200 * ms},
			wantRetry: 300 * ms, laterWait: 200 * ms, laterAdmit: true,
		},
		{
			name: "burst 1, maxWait 0", burst: 1, maxWait: 0, callers: 3,
			wantWaits: []time.Duration{0},
			wantRetry: 100 * ms, laterWait: 0, laterAdmit: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c fakeClock
			l := newLimiter(t, TokenBucket, 10, time.Second, tc.burst, &c)
			var waits []time.Duration
			for i := range tc.callers {
				wait, ok := reserve(t, l, "k", tc.maxWait)
				switch {
				case i < len(tc.wantWaits) && !ok:
					t.Fatalf("caller %d refused (Retry-After %v), want a wait of %v", i, wait, tc.wantWaits[i])
				case i >= len(tc.wantWaits) && ok:
					t.Fatalf("caller %d admitted with wait %v, want refused", i, wait)
				case !ok && wait != tc.wantRetry:
					t.Fatalf("caller %d: Retry-After %v, want %v", i, wait, tc.wantRetry)
				case ok:
					waits = append(waits, wait)
				}
			}
			for i, w := range waits {
				if !near(w, tc.wantWaits[i]) {
					t.Fatalf("waits %v, want %v", waits, tc.wantWaits)
				}
			}
			c.advance(100 * ms)
			wait, ok := reserve(t, l, "k", tc.maxWait)
			if ok != tc.laterAdmit || !near(wait, tc.laterWait) {
				t.Fatalf("100ms later: (%v, %v), want (%v, %v): the refused callers took tokens", wait, ok, tc.laterWait, tc.laterAdmit)
			}
		})
	}
}
