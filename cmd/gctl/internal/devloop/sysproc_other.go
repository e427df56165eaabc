//go:build !linux

package devloop

import "syscall"

// sysProcAttr: the defaults; on systems other than Linux a Ctrl-C in the
// terminal reaches the services as well as gctl.
func sysProcAttr() *syscall.SysProcAttr { return nil }
