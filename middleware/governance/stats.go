package governance

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/internal/shed"
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
	latency   [latencyBuckets]latencyBucket // by second of completion, a ring
	counts    [numOutcomes]atomic.Uint64
	binding   atomic.Pointer[binding] // its rule under the policy it last ran under
}

// binding is an operation's rule and priority under one policy.
type binding struct {
	p  *policy
	r  *rule
	pr shed.Priority
}

func (s *opStats) count(o outcome) { s.counts[o].Add(1) }

// The typical latency of an operation is the smallest per-second average
// of its successful calls over the last latencyBuckets seconds, counting
// only seconds with minSamples calls or more: what a call takes when the
// service is not queueing, so an overload does not teach it its own
// backlog; and a typical latency nothing refreshes (every call refused)
// ages out, so a refusal can never latch.
const (
	latencyBuckets = 8
	minSamples     = 5
)

type latencyBucket struct {
	sec   atomic.Int64 // the unix second it holds
	sum   atomic.Int64 // ns
	count atomic.Int64
}

// observe records a successful call of d that ended at now. A bucket is
// reset by the first call of its new second; a call racing that reset may
// be lost, which an average does not notice.
func (s *opStats) observe(now time.Time, d time.Duration) {
	sec := now.Unix()
	b := &s.latency[uint64(sec)%latencyBuckets]
	if old := b.sec.Load(); old != sec && b.sec.CompareAndSwap(old, sec) {
		b.sum.Store(0)
		b.count.Store(0)
	}
	b.sum.Add(int64(d))
	b.count.Add(1)
}

// typical is the operation's typical latency at now, 0 while unknown.
func (s *opStats) typical(now time.Time) time.Duration {
	sec := now.Unix()
	var best time.Duration
	for i := range s.latency {
		b := &s.latency[i]
		if age := sec - b.sec.Load(); age < 0 || age >= latencyBuckets {
			continue
		}
		n := b.count.Load()
		if n < minSamples {
			continue
		}
		if avg := time.Duration(b.sum.Load() / n); best == 0 || avg < best {
			best = avg
		}
	}
	return best
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
