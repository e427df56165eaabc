package shed

import (
	"math"
	"testing"
	"time"
)

func TestPercentileSince(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)} // 4 buckets
	for _, c := range []struct {
		counts, prev []uint64
		want         time.Duration
	}{
		{[]uint64{100, 0, 0, 0}, nil, time.Millisecond},                               // all under 1ms: its upper bound
		{[]uint64{80, 10, 10, 0}, nil, 10 * time.Millisecond},                         // p90 lands in (1ms, 10ms]
		{[]uint64{80, 5, 5, 10}, nil, 100 * time.Millisecond},                         // ... in (10ms, 100ms]
		{[]uint64{0, 0, 0, 100}, nil, 100 * time.Millisecond},                         // unbounded: its lower bound
		{[]uint64{1000, 10, 10, 60}, []uint64{1000, 0, 0, 0}, 100 * time.Millisecond}, // only what came since prev
		{[]uint64{1000, 10, 10, 10}, []uint64{1000, 0, 0, 0}, 0},                      // too few since prev
		{[]uint64{100}, nil, 0},                                                       // a histogram that does not fit its buckets
		{[]uint64{5, 5, 5, 100}, []uint64{9, 9, 9, 9}, 100 * time.Millisecond},        // a reset (counts below prev): counts as new
	} {
		if got := percentileSince(c.counts, buckets, c.prev, 0.9); got != c.want {
			t.Errorf("counts %v since %v: %v, want %v", c.counts, c.prev, got, c.want)
		}
	}
}

// The runtime's histogram is there and read without error; a busy process
// has waits to report.
func TestQueueDelayReadsTheRuntime(t *testing.T) {
	var prev []uint64
	_, _ = queueDelay(&prev)
	if len(prev) == 0 {
		t.Fatal("no /sched/latencies histogram read")
	}
}
