package config

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"
)

// Retry delays of a SourceWatcher whose store went away: doubling from
// retryMin to retryMax, back to retryMin once the store answers.
const (
	retryMin = 250 * time.Millisecond
	retryMax = 15 * time.Second
)

// SourceWatcher calls a function when the document of a Source changes, as
// Watcher does for the file. It is a transport.Server: give it to the App.
//
// While the store is unreachable it keeps the running config (the last
// document that loaded), logs the outage once per attempt with its next
// delay, and retries with a doubling delay; when the store answers again it
// reads the document and calls onChange if it changed meanwhile. A deleted
// or unreadable key is logged and changes nothing.
type SourceWatcher struct {
	src      Source
	onChange func()
	logger   *slog.Logger
	after    func(time.Duration) <-chan time.Time

	mu     sync.Mutex
	last   []byte
	known  bool // last holds a document read
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSourceWatcher returns a SourceWatcher of src calling onChange after each
// change of its document. onChange typically calls Load again (with the
// file, the environment and src, so the layers keep their order), applies
// what can change while running and keeps the running config when Load
// fails; it runs on the watcher's goroutine, one call at a time.
func NewSourceWatcher(src Source, onChange func(), logger *slog.Logger) *SourceWatcher {
	if logger == nil {
		logger = slog.Default()
	}
	return &SourceWatcher{src: src, onChange: onChange, logger: logger, after: time.After, done: make(chan struct{})}
}

// Start watches until Stop or until ctx ends. The first document it reads
// is taken as a change (onChange runs once, at start), so that a change
// made between the service's Load and Start is not lost.
func (w *SourceWatcher) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	if w.cancel != nil { // a second Start, or Start after Stop
		w.mu.Unlock()
		cancel()
		return nil
	}
	w.cancel = cancel
	w.mu.Unlock()
	defer close(w.done)
	defer cancel()

	delay := retryMin
	for {
		err := w.src.Watch(ctx, func() {
			if w.check(ctx) {
				delay = retryMin
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		w.logger.Warn("config source not watchable; keeping the running config", "source", w.src.String(), "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-w.after(delay):
		}
		if w.check(ctx) {
			delay = retryMin
		} else {
			delay = min(2*delay, retryMax)
		}
	}
}

// check reads the document and calls onChange if it differs from the last
// one; it reports whether the store answered.
func (w *SourceWatcher) check(ctx context.Context) bool {
	data, err := w.src.Read(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.logger.Warn("config source unreadable; keeping the running config", "source", w.src.String(), "error", err)
		}
		return false
	}
	if first, changed := w.remember(data); changed {
		if !first {
			w.logger.Info("config source changed", "source", w.src.String())
		}
		w.onChange()
	}
	return true
}

// remember stores data as the last document and reports whether it is the
// first one read and whether it changed.
func (w *SourceWatcher) remember(data []byte) (first, changed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	first, changed = !w.known, !w.known || !bytes.Equal(data, w.last)
	w.last, w.known = data, true
	return first, changed
}

// Stop ends Start and waits for it to return (or for ctx to end).
func (w *SourceWatcher) Stop(ctx context.Context) error {
	w.mu.Lock()
	cancel := w.cancel
	if cancel == nil {
		w.cancel = func() {} // Start after Stop returns at once
	}
	w.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
