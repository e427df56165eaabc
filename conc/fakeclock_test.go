package conc_test

import (
	"sync"
	"time"

	"github.com/goxkit/gox/conc"
)

// fakeClock is a conc.Clock that moves only when Advance is called.
type fakeClock struct {
	mu      sync.Mutex
	changed sync.Cond // broadcast when a timer is set, stopped or fired
	now     time.Time
	timers  []*fakeTimer
}

func newFakeClock() *fakeClock {
	c := &fakeClock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	c.changed.L = &c.mu
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) conc.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	t.setLocked(d)
	return t
}

// Advance moves the clock by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if t.active && !t.at.After(c.now) {
			t.fireLocked()
		}
	}
}

// BlockUntilTimer waits until a timer is set to fire at at: the scheduler
// is then idle, waiting for it.
func (c *fakeClock) BlockUntilTimer(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.hasTimerLocked(at) {
		c.changed.Wait()
	}
}

func (c *fakeClock) hasTimerLocked(at time.Time) bool {
	for _, t := range c.timers {
		if t.active && t.at.Equal(at) {
			return true
		}
	}
	return false
}

// Timers returns how many timers were ever made.
func (c *fakeClock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	c      *fakeClock
	ch     chan time.Time
	at     time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	t.drainLocked()
	t.c.changed.Broadcast()
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.drainLocked()
	t.setLocked(d)
	return was
}

func (t *fakeTimer) setLocked(d time.Duration) {
	t.at, t.active = t.c.now.Add(d), true
	if d <= 0 {
		t.fireLocked()
	}
	t.c.changed.Broadcast()
}

func (t *fakeTimer) fireLocked() {
	t.active = false
	t.ch <- t.c.now // the channel is empty: drained at each set
	t.c.changed.Broadcast()
}

func (t *fakeTimer) drainLocked() {
	select {
	case <-t.ch:
	default:
	}
}
