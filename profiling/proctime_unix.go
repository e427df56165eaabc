//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package profiling

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time, user and system, that every thread of
// the process has used. runtime/metrics' /cpu/classes are no substitute:
// the runtime refreshes them only at the end of a GC cycle.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
