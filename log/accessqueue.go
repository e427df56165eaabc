package log

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// accessQueue writes access records in batches from a goroutine of its own,
// so that a request pays for copying its record into the queue and not for
// formatting and writing it. Under load that is most of the access log's
// cost: one record formatted after another keeps the encoder's code and data
// in the CPU's caches, where a request's own goroutine finds them cold after
// the network stack ran, and a batch is one write instead of hundreds.
//
// Nothing is dropped: a producer that finds maxPending records waiting writes
// them itself (and so waits for the writer, as a synchronous logger would),
// and close writes what is left. Records stay in order among themselves;
// other records, written synchronously, can come before an access record
// made earlier.
type accessQueue struct {
	out      zapcore.WriteSyncer
	slow     func(context.Context, *Access) // writes a record the fast encoder cannot
	maxDelay time.Duration

	mu      sync.Mutex
	pending []queuedAccess
	closed  bool

	// writeMu is held while a batch is taken and written, so batches reach
	// out in the order they were taken.
	writeMu sync.Mutex
	spare   []queuedAccess // the batch slice written last, reused
	buf     []byte
	seg     accessSegment // the last line's segment (see appendAccessWith)

	first chan struct{} // a record arrived at an empty queue
	full  chan struct{} // batchSize records are waiting
	stop  chan struct{}
	done  chan struct{}
}

// queuedAccess is a record and its request's context. The writer reads the
// context's attributes and span: a context's values are immutable and safe to
// read from any goroutine, so reading them after the request has ended gives
// what reading them at once would have, and the request does not wait for
// the walk up its context that finding no span takes.
type queuedAccess struct {
	a   Access
	ctx context.Context
}

const (
	batchSize   = 256                    // the writer wakes at this many records ...
	accessDelay = 100 * time.Millisecond // ... or this long after the first
	maxPending  = 8 << 10                // a producer finding this many writes them itself
)

func newAccessQueue(out zapcore.WriteSyncer, slow func(context.Context, *Access), delay time.Duration) *accessQueue {
	q := &accessQueue{out: out, slow: slow, maxDelay: delay,
		pending: make([]queuedAccess, 0, batchSize), spare: make([]queuedAccess, 0, batchSize),
		first: make(chan struct{}, 1), full: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// add queues a record; false once the queue is closed (the caller writes it).
func (q *accessQueue) add(a *Access, ctx context.Context) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.pending = append(q.pending, queuedAccess{*a, ctx})
	n := len(q.pending)
	q.mu.Unlock()
	switch n {
	case 1:
		signal(q.first)
	case batchSize:
		signal(q.full)
	}
	if n >= maxPending {
		q.flush()
	}
	return true
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // one pending signal is enough
	}
}

// run writes a batch when batchSize records wait or maxDelay after the first.
func (q *accessQueue) run() {
	defer close(q.done)
	t := time.NewTimer(q.maxDelay)
	t.Stop()
	for {
		select {
		case <-q.first:
		case <-q.stop:
			q.flush()
			return
		}
		t.Reset(q.maxDelay)
		select {
		case <-q.full:
		case <-t.C:
		case <-q.stop:
			t.Stop()
			q.flush()
			return
		}
		t.Stop()
		q.flush()
	}
}

// flush writes every waiting record, in one write.
func (q *accessQueue) flush() {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	q.mu.Lock()
	batch := q.pending
	q.pending = q.spare[:0]
	q.mu.Unlock()
	if len(batch) > 0 {
		b := q.buf[:0]
		for i := range batch {
			c, ok := contextOf(batch[i].ctx)
			if !ok {
				// An attribute the fast encoder does not write: the
				// lines so far go out first, then this one through zap.
				b = q.write(b)
				q.slow(batch[i].ctx, &batch[i].a)
				continue
			}
			b = appendAccessWith(b, &batch[i].a, &c, &q.seg)
		}
		b = q.write(b)
		if cap(b) <= 1<<20 {
			q.buf = b
		} else {
			q.buf = nil
		}
		clear(batch) // drop the contexts
	}
	if cap(batch) > maxPending {
		batch = make([]queuedAccess, 0, batchSize)
	}
	q.spare = batch[:0]
}

// write writes b unless it is empty and returns it emptied.
func (q *accessQueue) write(b []byte) []byte {
	if len(b) > 0 {
		_, _ = q.out.Write(b) // as zap's core: a failed log write fails no request
	}
	return b[:0]
}

// Sync writes what is queued; it does not sync out.
func (q *accessQueue) Sync() { q.flush() }

// Close writes what is queued and stops the writer; later records are
// written by their callers. Calls after the first do nothing.
func (q *accessQueue) Close() error {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if !already {
		close(q.stop)
	}
	<-q.done
	return nil
}
