package shed

import (
	"math"
	"runtime/metrics"
	"time"
)

// schedLatencies is the runtime's histogram of how long goroutines waited,
// runnable, before they ran: continuously recorded (for one scheduling in
// eight), unlike /cpu/classes. A request waits there, read from the network
// but not yet running, when the process is given more than it can do — in
// front of every middleware, where no in-flight count sees it.
const schedLatencies = "/sched/latencies:seconds"

// minQueueSamples is how many scheduling waits an interval needs before its
// high percentile is believed.
const minQueueSamples = 50

// runnable is the runtime's count of goroutines ready to run, not running.
const runnable = "/sched/goroutines/runnable:goroutines"

// trackedEvery is how many schedulings the runtime makes for each one
// /sched/latencies records.
const trackedEvery = 8

// queueDelay reads the histogram and returns the 90th percentile of the
// waits recorded since prev (the counts of the previous reading, updated in
// place), 0 when too few were, and about how many times goroutines were
// scheduled meanwhile.
func queueDelay(prev *[]uint64) (time.Duration, uint64) {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0, 0
	}
	h := s[0].Value.Float64Histogram()
	d := percentileSince(h.Counts, h.Buckets, *prev, 0.9)
	var n uint64
	for i, c := range h.Counts {
		if i < len(*prev) && (*prev)[i] <= c {
			c -= (*prev)[i]
		}
		n += c
	}
	*prev = append((*prev)[:0], h.Counts...)
	return d, n * trackedEvery
}

// runnableNow reads how many goroutines wait for a CPU.
func runnableNow() uint64 {
	s := []metrics.Sample{{Name: runnable}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// percentileSince is the q-th percentile of the samples counts holds beyond
// prev (cumulative counts of the same histogram, or none), in seconds as
// the buckets bound them, taking each bucket's upper bound (its lower one
// for the last, unbounded bucket); 0 below minQueueSamples samples.
func percentileSince(counts []uint64, buckets []float64, prev []uint64, q float64) time.Duration {
	if len(buckets) != len(counts)+1 {
		return 0
	}
	delta := func(i int) uint64 {
		if i < len(prev) && prev[i] <= counts[i] {
			return counts[i] - prev[i]
		}
		return counts[i]
	}
	var total uint64
	for i := range counts {
		total += delta(i)
	}
	if total < minQueueSamples {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i := range counts {
		if seen += delta(i); seen >= rank {
			bound := buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = buckets[i]
			}
			return time.Duration(bound * float64(time.Second))
		}
	}
	return 0
}
