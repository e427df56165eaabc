package conc

import "time"

// Clock is what a Scheduler reads the time from and waits on. SystemClock
// is the real one; tests give a fake one that they move by hand, so that no
// test sleeps.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends on its channel once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's timer, as *time.Timer behaves since Go 1.23: after
// Stop or Reset returns, no stale time is received from C.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether the timer
	// had been active.
	Reset(d time.Duration) bool
}

// SystemClock is the system's clock: time.Now and time.NewTimer. Its zero
// value is ready to use.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a *time.Timer as a Timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time        { return t.t.C }
func (t systemTimer) Stop() bool                 { return t.t.Stop() }
func (t systemTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
