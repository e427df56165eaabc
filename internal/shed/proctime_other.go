//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || windows)

package shed

import (
	"errors"
	"time"
)

// processCPU fails where the process's CPU time cannot be read (js/wasm,
// wasip1, plan9): the Sampler then reads 0 and nothing is shed for CPU.
func processCPU() (time.Duration, error) {
	return 0, errors.New("shed: process CPU time is not available on this platform")
}
