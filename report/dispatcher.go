package report

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Submitter takes reports without blocking. *Dispatcher is one; the hooks
// (Middleware, Go, the broker consumer's and the event channel's) take a
// Submitter, nil meaning "report nothing".
type Submitter interface {
	// Submit hands r over; r must not be changed afterwards. It never
	// blocks: a report that cannot be queued is dropped and counted.
	Submit(ctx context.Context, r *Report)
}

// Stats counts what became of the reports a Dispatcher was given.
// Submitted, Ignored and Dropped count reports; Sent, Failed and Panicked
// count deliveries, one per reporter per report.
type Stats struct {
	Submitted uint64 // queued for delivery
	Ignored   uint64 // expected failures (below MinCode), not reported
	Dropped   uint64 // lost: the queue was full, the dispatcher closed, or Close's context ended first
	Sent      uint64 // a reporter returned nil
	Failed    uint64 // a reporter returned an error
	Panicked  uint64 // a reporter panicked
}

// dropLogEvery bounds the log lines about dropped reports: an outage that
// fills the queue drops thousands a second.
const dropLogEvery = time.Minute

// Dispatcher queues reports and delivers them to its reporters from one
// goroutine of its own, so a slow or failing reporter never slows down the
// code that reports. It stamps each report with the service, fills its
// code, reason, message and stack from its error and redacts its request's
// secrets before any reporter sees it. A reporter that fails or panics is
// logged and counted; the others still get the report.
//
// NewDispatcher starts the goroutine; Close ends it. In a gox App, register
// Close as a resource (gox.WithResource("report", d.Close)): resources close
// after the servers stopped, so the failures of the last requests are
// still reported.
type Dispatcher struct {
	o       options
	redact  redactor
	minCode int
	timeout time.Duration
	q       chan *Report

	mu     sync.RWMutex // held for reading by Submit, for writing by Close
	closed bool
	stop   chan struct{}
	done   chan struct{}
	// drainCtx is Close's context, set before stop is closed.
	drainCtx context.Context
	once     sync.Once

	submitted, ignored, dropped, sent, failed, panicked atomic.Uint64
	lastDropLog, droppedLogged                          atomic.Int64
}

var _ Submitter = (*Dispatcher)(nil)

// NewDispatcher returns a running Dispatcher. It fails on a Config it
// cannot honour, naming the key.
func NewDispatcher(opts ...Option) (*Dispatcher, error) {
	o := options{logger: slog.Default(), now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	if err := o.cfg.validate(); err != nil {
		return nil, err
	}
	for i, r := range o.reporters {
		if r == nil {
			return nil, fmt.Errorf("report: reporter %d is nil", i)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	d := &Dispatcher{o: o, redact: newRedactor(o.cfg), minCode: o.cfg.MinCode, timeout: o.cfg.Timeout,
		stop: make(chan struct{}), done: make(chan struct{})}
	if d.minCode == 0 {
		d.minCode = 500
	}
	if d.timeout == 0 {
		d.timeout = 10 * time.Second
	}
	size := o.cfg.QueueSize
	if size == 0 {
		size = 1024
	}
	d.q = make(chan *Report, size)
	d.lastDropLog.Store(o.now().Add(-dropLogEvery).UnixNano())
	go d.run()
	return d, nil
}

// Submit queues r for delivery, or drops it when the queue is full or the
// dispatcher closed; it never blocks. It reads the request id, trace id and
// span id from ctx and the code from r.Err when r has none, and stamps the
// time; the rest is filled in on the dispatcher's goroutine. An expected
// failure (a code below MinCode that is neither a panic nor a dead letter)
// is ignored. A nil Dispatcher ignores every report.
func (d *Dispatcher) Submit(ctx context.Context, r *Report) {
	if d == nil || r == nil {
		return
	}
	classify(r)
	if d.expected(r) {
		d.ignored.Add(1)
		return
	}
	fromContext(ctx, r)
	if r.Time.IsZero() {
		r.Time = d.o.now()
	}
	d.mu.RLock()
	queued := false
	if !d.closed {
		select {
		case d.q <- r:
			queued = true
		default:
		}
	}
	d.mu.RUnlock()
	if queued {
		d.submitted.Add(1)
		return
	}
	d.drop(1)
}

// expected reports whether r is an expected failure, not to be reported.
func (d *Dispatcher) expected(r *Report) bool {
	if r.Panic || r.Kind == KindQueue || r.Kind == KindProfile || r.Code <= 0 {
		return false
	}
	return r.Code < d.minCode
}

// drop counts n dropped reports and logs it, at most once a dropLogEvery.
func (d *Dispatcher) drop(n int) {
	total := d.dropped.Add(uint64(n))
	now := d.o.now().UnixNano()
	last := d.lastDropLog.Load()
	if now-last < int64(dropLogEvery) || !d.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	since := int64(total) - d.droppedLogged.Swap(int64(total))
	d.o.logger.Warn("error reports dropped: the report queue is full or closed",
		"dropped", since, "dropped_total", total, "queue_size", cap(d.q))
}

// Stats returns the counts so far.
func (d *Dispatcher) Stats() Stats {
	return Stats{Submitted: d.submitted.Load(), Ignored: d.ignored.Load(), Dropped: d.dropped.Load(),
		Sent: d.sent.Load(), Failed: d.failed.Load(), Panicked: d.panicked.Load()}
}

// Close stops taking reports, delivers the queued ones and flushes the
// reporters that are Flushers, until ctx ends; what is left then is dropped
// and counted, and Close returns an error saying how much. Close is safe to
// call more than once; the later calls wait as the first did.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.once.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.drainCtx = ctx
		d.mu.Unlock()
		close(d.stop)
	})
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("report: %d reports not delivered before the stop deadline: %w", len(d.q), ctx.Err())
	}
}

func (d *Dispatcher) run() {
	defer close(d.done)
	for {
		select {
		case r := <-d.q:
			d.deliver(context.Background(), r)
		case <-d.stop:
			d.drain()
			return
		}
	}
}

// drain delivers what is queued, then flushes, within Close's context.
func (d *Dispatcher) drain() {
	d.mu.RLock()
	ctx := d.drainCtx
	d.mu.RUnlock()
	for len(d.q) > 0 {
		if ctx.Err() != nil {
			d.drop(len(d.q))
			return
		}
		d.deliver(ctx, <-d.q)
	}
	for _, rep := range d.o.reporters {
		if f, ok := rep.(Flusher); ok {
			d.call(ctx, rep, "flush", func(ctx context.Context) error { return f.Flush(ctx) })
		}
	}
}

// deliver fills r in and hands it to every reporter in turn.
func (d *Dispatcher) deliver(parent context.Context, r *Report) {
	d.fill(r)
	for _, rep := range d.o.reporters {
		d.call(parent, rep, "report", func(ctx context.Context) error { return rep.Report(ctx, r) })
	}
}

// call runs one reporter's step under the timeout, counting and logging
// its failure or panic.
func (d *Dispatcher) call(parent context.Context, rep Reporter, what string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(parent, d.timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			d.panicked.Add(1)
			d.o.logger.Error("error reporter panicked", "reporter", fmt.Sprintf("%T", rep), "step", what, "panic", fmt.Sprint(v))
		}
	}()
	if err := f(ctx); err != nil {
		d.failed.Add(1)
		d.o.logger.Warn("error reporter failed", "reporter", fmt.Sprintf("%T", rep), "step", what, "error", err.Error())
		return
	}
	if what == "report" {
		d.sent.Add(1)
	}
}
