package profiling

import (
	"strconv"
	"time"
)

// Reasons a rule captured.
const (
	ReasonAbs  = "abs"  // the value is above Abs
	ReasonDiff = "diff" // the value is Diff percent above the average
)

// history holds the last readings of one value, oldest overwritten first.
type history struct {
	vals []float64
	next int
	full bool
}

func newHistory(n int) *history { return &history{vals: make([]float64, n)} }

func (h *history) push(v float64) {
	h.vals[h.next] = v
	h.next++
	if h.next == len(h.vals) {
		h.next, h.full = 0, true
	}
}

func (h *history) avg() float64 {
	n := h.next
	if h.full {
		n = len(h.vals)
	}
	if n == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range h.vals[:n] {
		sum += v
	}
	return sum / float64(n)
}

// match applies r to v, given the average of the readings before it; it
// returns the reason and the threshold v passed, or "" when v is no spike.
func (r Rule) match(v, avg float64) (reason string, threshold float64) {
	switch {
	case v < r.Min:
		return "", 0
	case r.Max > 0 && v >= r.Max:
		return "", 0
	case r.Abs > 0 && v > r.Abs:
		return ReasonAbs, r.Abs
	case r.Diff > 0 && v >= avg*(100+r.Diff)/100:
		return ReasonDiff, avg * (100 + r.Diff) / 100
	}
	return "", 0
}

// watch is the state of one rule: its readings and when it may capture
// again.
type watch struct {
	name  string // "cpu", "heap", "goroutine"
	unit  string // "%", "MiB", ""
	rule  Rule
	hist  *history
	until time.Time // rests until then
}

// spike is a reading that a rule captures.
type spike struct {
	name, unit, reason    string
	value, threshold, avg float64
}

// check folds v into w's history and returns the spike it is, if any. A
// rule captures once its history is full and its cooldown over.
func (w *watch) check(now time.Time, v float64) (spike, bool) {
	avg, ready := w.hist.avg(), w.hist.full
	w.hist.push(v)
	if !w.rule.Enabled || !ready || now.Before(w.until) {
		return spike{}, false
	}
	reason, threshold := w.rule.match(v, avg)
	if reason == "" {
		return spike{}, false
	}
	w.until = now.Add(w.rule.Cooldown)
	return spike{name: w.name, unit: w.unit, reason: reason, value: v, threshold: threshold, avg: avg}, true
}

func (s spike) tags() map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return map[string]string{"rule": s.name, "reason": s.reason, "value": f(round(s.value)),
		"threshold": f(round(s.threshold)), "average": f(round(s.avg)), "unit": s.unit}
}

// round keeps two decimals: 83.33%, 1.5 MiB.
func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
