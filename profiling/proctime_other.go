//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package profiling

import (
	"runtime/metrics"
	"time"
)

// processCPU falls back on runtime/metrics where getrusage is missing: its
// /cpu/classes/total is refreshed at the end of each GC cycle only, so a
// process that allocates little shows its CPU usage late.
func processCPU() (time.Duration, error) {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0, nil
	}
	return time.Duration(s[0].Value.Float64() * float64(time.Second)), nil
}
