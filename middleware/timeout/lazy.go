package timeout

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// lazyDeadline is a context with a deadline whose timer starts only when
// something waits on Done. Deadline and Err are right from the start, so
// downstream calls see the deadline (gRPC sends it as grpc-timeout), while a
// handler that never blocks on the context (most of them) costs no timer.
type lazyDeadline struct {
	context.Context // the parent
	deadline        time.Time

	once    sync.Once
	started atomic.Bool
	inner   context.Context
	cancel  context.CancelFunc
}

func (c *lazyDeadline) start() {
	c.once.Do(func() {
		c.inner, c.cancel = context.WithDeadline(c.Context, c.deadline)
		c.started.Store(true)
	})
}

func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *lazyDeadline) Done() <-chan struct{} {
	c.start()
	return c.inner.Done()
}

func (c *lazyDeadline) Err() error {
	if c.started.Load() {
		return c.inner.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value answers from the timer context once it exists, so context.Cause sees
// the deadline; before that, from the parent.
func (c *lazyDeadline) Value(key any) any {
	if c.started.Load() {
		return c.inner.Value(key)
	}
	return c.Context.Value(key)
}

// release stops the timer, if one was started.
func (c *lazyDeadline) release() {
	if c.started.Load() {
		c.cancel()
	}
}
