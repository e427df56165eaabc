package ratelimit

import (
	"sync"
	"time"
)

// windowSlices is how many slices a window's Per is cut into: the window
// refuses a call at most one slice, Per/windowSlices, before an exact log of
// call times would have admitted it.
const windowSlices = 20

const ring = windowSlices + 1 // slices a window holds: s-windowSlices to s

// windowConfig is what the windows of one Limiter share.
type windowConfig struct {
	limit int64
	per   time.Duration
	slice time.Duration // per/windowSlices rounded up: windowSlices of them cover per
}

// window is the sliding window of one key. Times are offsets from epoch, the
// key's first call, and slices are numbered from it. The ring holds slices
// head-windowSlices to head, head being the slice of the latest call counted
// (ahead of the clock while calls are queued), each with its count and the
// time of its latest call.
type window struct {
	mu      sync.Mutex
	cfg     *windowConfig
	epoch   time.Time
	started bool
	head    int64
	total   int64 // calls in the ring
	counts  [ring]int32
	last    [ring]time.Duration
}

func newWindow(cfg *windowConfig) *window { return &window{cfg: cfg} }

func (w *window) reserve(now func() time.Time, maxWait time.Duration) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := now()
	if !w.started {
		w.epoch, w.started = t, true
	}
	off := w.offset(t)
	s, at := w.next(off)
	wait := at - off
	if wait > maxWait {
		return retryAfter(wait), false
	}
	w.advance(s)
	i := s % ring
	w.counts[i]++
	w.last[i] = at
	w.total++
	return wait, true
}

// next returns when, from off on, a call may run without breaking the limit,
// and the slice of that time. Calls run in the order they were counted, so it
// is never before the latest call counted. It tries slice after slice: in
// slice s the calls that count are those of slices s-windowSlices to s (they
// cover every span of per ending in s), less slice s-windowSlices once its
// latest call is per ago. Past head each step drops a slice, so this ends
// within windowSlices+1 steps.
func (w *window) next(off time.Duration) (int64, time.Duration) {
	g := w.cfg.slice
	s := max(int64(off/g), w.head)
	n := w.countFrom(s)
	for ; ; s++ {
		at := max(off, time.Duration(s)*g, w.last[w.head%ring])
		if n < w.cfg.limit {
			return s, at
		}
		j := s - windowSlices
		if j < 0 { // n > 0, so j <= head: slot j holds slice j
			continue
		}
		c := int64(w.counts[j%ring])
		if n-c < w.cfg.limit { // room once slice j's calls are all per old
			if free := max(at, w.last[j%ring]+w.cfg.per); free < time.Duration(s+1)*g {
				return s, free
			}
		}
		n -= c
	}
}

// remaining returns how many calls would go at once.
func (w *window) remaining(now func() time.Time) float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return float64(w.cfg.limit)
	}
	off := w.offset(now())
	s, at := w.next(off)
	if at > off {
		return 0 // calls are queued, or the window is full
	}
	n := w.countFrom(s)
	if j := s - windowSlices; j >= 0 && w.last[j%ring]+w.cfg.per <= off {
		n -= int64(w.counts[j%ring])
	}
	return float64(max(w.cfg.limit-n, 0))
}

func (w *window) offset(t time.Time) time.Duration {
	return max(t.Sub(w.epoch), 0) // 0: a clock stepped back
}

// countFrom returns the calls counted in slices s-windowSlices to head, for s >= head.
func (w *window) countFrom(s int64) int64 {
	if s-w.head > windowSlices {
		return 0
	}
	n := w.total
	for j := max(w.head-windowSlices, 0); j < s-windowSlices; j++ {
		n -= int64(w.counts[j%ring])
	}
	return n
}

// advance moves head to s (>= head), forgetting the slices that leave the
// window ending at s.
func (w *window) advance(s int64) {
	if s-w.head >= ring {
		w.counts, w.last, w.total = [ring]int32{}, [ring]time.Duration{}, 0
	} else {
		for j := w.head + 1; j <= s; j++ { // slot of j held slice j-ring, which leaves
			i := j % ring
			w.total -= int64(w.counts[i])
			w.counts[i], w.last[i] = 0, 0
		}
	}
	w.head = s
}
