package governance

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/transport"
)

// outcome is what became of a call, as counted.
type outcome int

const (
	outAdmitted outcome = iota
	outRateLimited
	outConcurrency
	outShed
	outDeadline
	outLimiterError
	outFallback
	numOutcomes
)

// outcomeNames are the outcomes as metrics and the status page name them.
var outcomeNames = [numOutcomes]string{"admitted", "rate_limited", "concurrency_limited", "shed", "deadline_too_short", "limiter_error", "fallback"}

// opStats is what the governor knows of one operation.
type opStats struct {
	kind      transport.Kind
	operation string
	latency   atomic.Int64 // EWMA of admitted successful calls, ns
	samples   atomic.Int64
	counts    [numOutcomes]atomic.Uint64
}

func (s *opStats) count(o outcome) { s.counts[o].Add(1) }

// minSamples is how many calls an operation must have completed before its
// typical latency is trusted to refuse a call with a short deadline.
const minSamples = 20

// observe folds the latency of a successful call into the typical latency:
// an exponentially weighted average, each call weighing 1/8.
func (s *opStats) observe(d time.Duration) {
	for {
		old := s.latency.Load()
		next := int64(d)
		if s.samples.Load() > 0 {
			next = old + (int64(d)-old)/8
		}
		if s.latency.CompareAndSwap(old, next) {
			break
		}
	}
	s.samples.Add(1)
}

// typical is the operation's typical latency, 0 until it is known.
func (s *opStats) typical() time.Duration {
	if s.samples.Load() < minSamples {
		return 0
	}
	return time.Duration(s.latency.Load())
}

// opTable holds the stats of at most maxOps operations; the rest share one.
type opTable struct {
	m     sync.Map // operation → *opStats
	n     atomic.Int64
	other opStats
}

func (t *opTable) get(kind transport.Kind, op string) *opStats {
	if v, ok := t.m.Load(op); ok {
		return v.(*opStats) // keyed by name alone: no two kinds share one
	}
	if t.n.Load() >= maxOps {
		return &t.other
	}
	v, loaded := t.m.LoadOrStore(op, &opStats{kind: kind, operation: op})
	if !loaded {
		t.n.Add(1)
	}
	return v.(*opStats)
}
