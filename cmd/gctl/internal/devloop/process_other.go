//go:build !unix

package devloop

import "os"

// terminate asks p to stop; where there is no SIGTERM, Interrupt is the
// closest (and fails on Windows, where Stop then kills).
func terminate(p *os.Process) error { return p.Signal(os.Interrupt) }

// killGroup: services share gctl's process group here; nothing to do.
func killGroup(int) {}
