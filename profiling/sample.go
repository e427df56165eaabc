package profiling

import (
	"errors"
	"runtime/metrics"
	"time"

	"github.com/goxkit/gox/internal/shed"
)

// Sample is one reading of the values the rules watch.
type Sample struct {
	// CPU is the CPU time used since the previous reading, in percent of
	// the CPUs the process may use (0..100).
	CPU float64
	// HeapMiB is the heap in use, in MiB.
	HeapMiB float64
	// Goroutines is the number of live goroutines.
	Goroutines float64
}

// errNoCPU says a reading has no CPU value yet: the first one.
var errNoCPU = errors.New("profiling: the first reading has no CPU usage")

// reader reads the process's values from runtime/metrics and the operating
// system. Its CPU usage is that since its previous call.
type reader struct {
	now      func() time.Time
	capacity float64
	cpuTime  func() (time.Duration, error)
	samples  []metrics.Sample

	primed   bool
	prevCPU  time.Duration
	prevWall time.Time
}

func newReader(now func() time.Time) *reader {
	return &reader{now: now, capacity: shed.Capacity(), cpuTime: processCPU, samples: []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/sched/goroutines:goroutines"},
	}}
}

// read returns the values now; the first call, which has no CPU usage to
// measure yet, returns errNoCPU.
func (r *reader) read() (Sample, error) {
	metrics.Read(r.samples)
	var s Sample
	for i, m := range r.samples {
		if m.Value.Kind() != metrics.KindUint64 {
			continue // a metric this Go does not have
		}
		v := float64(m.Value.Uint64())
		switch i {
		case 0, 1:
			s.HeapMiB += v / (1 << 20)
		case 2:
			s.Goroutines = v
		}
	}
	cpu, err := r.cpuTime()
	if err != nil {
		return Sample{}, err
	}
	wall := r.now()
	first := !r.primed
	dc, dw := cpu-r.prevCPU, wall.Sub(r.prevWall)
	r.primed, r.prevCPU, r.prevWall = true, cpu, wall
	if first || dw <= 0 {
		return Sample{}, errNoCPU
	}
	s.CPU = min(max(dc.Seconds()/dw.Seconds()/r.capacity*100, 0), 100)
	return s, nil
}
