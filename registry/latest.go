package registry

import (
	"context"
	"sync"
)

// Latest is the Watcher half a backend needs: the backend's own goroutine
// follows the service and calls Publish with each new set; Next returns the
// set current at the start first, then the latest set published since the
// previous Next — an unread older set is replaced, never queued, since a
// caller wants the state now, not the history. etcd, Consul and DNS in
// contrib/registry use it.
type Latest struct {
	ctx     context.Context
	cancel  context.CancelFunc
	updates chan []*ServiceInstance

	mu      sync.Mutex
	stopped bool
}

// NewLatest returns a watcher whose first Next returns first. It ends with
// ctx, or at Stop; Context is done then, which tells the backend's goroutine
// to return.
func NewLatest(ctx context.Context, first []*ServiceInstance) *Latest {
	ctx, cancel := context.WithCancel(ctx)
	w := &Latest{ctx: ctx, cancel: cancel, updates: make(chan []*ServiceInstance, 1)}
	w.updates <- cloneAll(first)
	return w
}

// Context ends when the watch does.
func (w *Latest) Context() context.Context { return w.ctx }

// Publish makes set the one the next Next returns. It never blocks.
func (w *Latest) Publish(set []*ServiceInstance) {
	set = cloneAll(set)
	for {
		select {
		case w.updates <- set:
			return
		default:
		}
		select {
		case <-w.updates:
		default:
		}
	}
}

// Next returns the current set first, then the latest set after a change.
func (w *Latest) Next() ([]*ServiceInstance, error) {
	select {
	case set := <-w.updates:
		if w.ctx.Err() == nil {
			return set, nil
		}
	case <-w.ctx.Done():
	}
	if w.isStopped() {
		return nil, ErrWatcherStopped
	}
	return nil, w.ctx.Err()
}

func (w *Latest) isStopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopped
}

// Stop ends the watch: a blocked Next returns ErrWatcherStopped.
func (w *Latest) Stop() error {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.cancel()
	return nil
}

func cloneAll(set []*ServiceInstance) []*ServiceInstance {
	out := make([]*ServiceInstance, len(set))
	for i, s := range set {
		out[i] = s.Clone()
	}
	return out
}
