// Package due is the wait at the heart of gox's in-process queues (the
// memory broker, the Kafka consumer's hand-out): until the context ends, a
// wake-up channel is closed, or the next held message is due.
package due

import (
	"context"
	"time"
)

// Waiter waits again and again on one timer. The zero value is ready; Stop
// releases the timer. Not safe for concurrent use.
type Waiter struct {
	timer *time.Timer
}

// Wait returns nil when wake is closed or, if next is not zero, at next;
// ctx.Err() when ctx ends first.
func (w *Waiter) Wait(ctx context.Context, wake <-chan struct{}, next time.Time) error {
	var at <-chan time.Time
	if !next.IsZero() {
		if w.timer == nil {
			w.timer = time.NewTimer(time.Until(next))
		} else {
			w.timer.Reset(time.Until(next))
		}
		at = w.timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-at:
	}
	return nil
}

// Stop releases the timer, if any.
func (w *Waiter) Stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}
