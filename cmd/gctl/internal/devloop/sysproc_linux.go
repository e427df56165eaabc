package devloop

import "syscall"

// ownGroup: each service leads a process group of its own (see sysProcAttr),
// which gctl signals as a whole.
const ownGroup = true

// sysProcAttr puts the service in a process group of its own, so a Ctrl-C in
// the terminal reaches gctl only and gctl stops the services in order, and
// has Linux kill the service should gctl itself die without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
