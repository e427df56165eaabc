package goxtest

import (
	"strings"
	"sync"

	"github.com/goxkit/gox/metrics"
)

// Recorder is a metrics.Recorder that remembers what it was told, for tests
// of anything that records the shared series.
type Recorder struct {
	mu       sync.Mutex
	observed []string
	inFlight map[string]float64
}

var _ metrics.Recorder = (*Recorder)(nil)

// InFlight implements metrics.Recorder.
func (r *Recorder) InFlight(kind string, delta float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inFlight == nil {
		r.inFlight = map[string]float64{}
	}
	r.inFlight[kind] += delta
}

// Observe implements metrics.Recorder; it keeps "kind operation code".
func (r *Recorder) Observe(kind, operation, code string, _ float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observed = append(r.observed, kind+" "+operation+" "+code)
}

// Observed returns every observation as "kind operation code", in order.
func (r *Recorder) Observed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.observed...)
}

// InFlightNow returns the in-flight gauge of kind.
func (r *Recorder) InFlightNow(kind string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight[kind]
}

// String joins the observations with ", ".
func (r *Recorder) String() string { return strings.Join(r.Observed(), ", ") }
