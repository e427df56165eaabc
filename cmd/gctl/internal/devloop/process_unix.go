//go:build unix

package devloop

import (
	"os"
	"syscall"
)

// terminate asks p to stop gracefully. Where p leads a process group of its
// own (Linux, see sysProcAttr) the whole group is asked, as Ctrl-C asks a
// terminal's foreground job: what the service started (a worker, sh -c)
// stops with it.
func terminate(p *os.Process) error {
	if ownGroup {
		if err := syscall.Kill(-p.Pid, syscall.SIGTERM); err == nil {
			return nil
		}
	}
	return p.Signal(syscall.SIGTERM)
}

// killGroup kills what is left of the process group led by pid, once its
// leader has exited: nothing the service started outlives it, holding its
// ports or files against the next start. A no-op where services share
// gctl's group.
func killGroup(pid int) {
	if ownGroup {
		_ = syscall.Kill(-pid, syscall.SIGKILL) // ESRCH: nothing was left
	}
}
