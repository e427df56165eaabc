package shed

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// window counts completed calls and their response times in rolling buckets.
type window struct {
	width   time.Duration // of one bucket
	mu      sync.Mutex    // guards buckets
	buckets []bucket
	last    atomic.Pointer[estimate] // of the latest bucket that asked
}

type bucket struct {
	idx   int64         // the bucket's number, now/width; stale when out of the window
	count int64         // completed calls
	rt    time.Duration // sum of their response times
}

// estimate is what the complete buckets say while bucket idx is the current one.
type estimate struct {
	idx     int64
	ok      bool // some complete bucket of the window holds a call
	maxPass int64
	minRT   time.Duration
	limit   int64
	// recentRT is the average response time of the last complete bucket
	// (0 when it holds no call): what calls take now.
	recentRT time.Duration
}

func newWindow(d time.Duration, n int) *window {
	return &window{width: d / time.Duration(n), buckets: make([]bucket, n)}
}

// index returns the number of the bucket that holds now and its slot.
func (w *window) index(now time.Duration) (idx int64, slot int) {
	idx = int64(now / w.width)
	if now < 0 && now%w.width != 0 {
		idx-- // floor, for a clock that starts below zero
	}
	n := int64(len(w.buckets))
	return idx, int(((idx % n) + n) % n)
}

// record adds one call that completed at now after rt.
func (w *window) record(now, rt time.Duration) {
	idx, slot := w.index(now)
	w.mu.Lock()
	b := &w.buckets[slot]
	if b.idx != idx {
		*b = bucket{idx: idx}
	}
	b.count++
	b.rt += rt
	w.mu.Unlock()
}

// estimate returns maxPass, minRT and the limit at now. The current bucket
// is left out, so the result holds for the whole bucket and is computed once
// per bucket.
func (w *window) estimate(now time.Duration) *estimate {
	idx, _ := w.index(now)
	if e := w.last.Load(); e != nil && e.idx == idx {
		return e
	}
	e := &estimate{idx: idx, minRT: math.MaxInt64}
	oldest := idx - int64(len(w.buckets)) + 1
	w.mu.Lock()
	for _, b := range w.buckets {
		if b.idx < oldest || b.idx >= idx || b.count == 0 {
			continue
		}
		e.ok = true
		e.maxPass = max(e.maxPass, b.count)
		e.minRT = min(e.minRT, b.rt/time.Duration(b.count))
		if b.idx == idx-1 {
			e.recentRT = b.rt / time.Duration(b.count)
		}
	}
	w.mu.Unlock()
	if !e.ok {
		e.minRT = 0
	} else {
		e.limit = littlesLaw(e.maxPass, e.minRT, w.width)
	}
	w.last.Store(e)
	return e
}

// littlesLaw returns ⌈maxPass × minRT / width⌉: the calls in flight at the
// best rate (maxPass per width) and the best latency seen.
func littlesLaw(maxPass int64, minRT, width time.Duration) int64 {
	if minRT > 0 && maxPass > math.MaxInt64/int64(minRT) {
		return math.MaxInt64
	}
	p := maxPass * int64(minRT)
	return p/int64(width) + min(p%int64(width), 1)
}
