// Package clock reads the current time with one clock read where time.Now
// takes two (the wall clock and the monotonic clock, each a vDSO call of
// 30-40 ns on the VMs gox is measured on). The transports stamp every request
// with it.
package clock

import (
	"context"
	"sync/atomic"
	"time"
)

// refresh bounds how long a step of the system's wall clock (NTP setting it,
// an operator) takes to show in Now's results.
const refresh = time.Second

var base atomic.Pointer[time.Time]

func init() { Reset() }

// Now returns the current time, with a monotonic reading, as time.Now does.
// Its wall clock is that of a time.Now taken within the last second plus the
// monotonic time elapsed since: the two clocks run at the same rate (NTP
// slews both), so the result differs from time.Now only after the wall
// clock was stepped, and for at most a second.
func Now() time.Time {
	b := base.Load()
	d := time.Since(*b) // the monotonic clock alone
	if d < 0 || d >= refresh {
		return Reset()
	}
	return b.Add(d)
}

// Reset takes a new base from time.Now and returns it.
func Reset() time.Time {
	t := time.Now()
	base.Store(&t)
	return t
}

// Sleep waits d, or until ctx is done, and says whether it waited the whole
// of d (and ctx is still live): the wait of a retry's backoff and of a call
// queued for a rate limit.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
