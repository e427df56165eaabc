package shed

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time, user and kernel, that every thread of
// the process has used.
func processCPU() (time.Duration, error) {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, err
	}
	var creation, exit, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0, err
	}
	return filetime(kernel) + filetime(user), nil
}

// filetime returns a FILETIME that holds a duration, in units of 100 ns
// (Filetime.Nanoseconds would take it for a date since 1601).
func filetime(f syscall.Filetime) time.Duration {
	return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
}
