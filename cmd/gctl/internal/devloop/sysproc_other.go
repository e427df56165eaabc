//go:build !linux

package devloop

import "syscall"

// ownGroup: services stay in gctl's process group here.
const ownGroup = false

// sysProcAttr: the defaults; on systems other than Linux a Ctrl-C in the
// terminal reaches the services as well as gctl.
func sysProcAttr() *syscall.SysProcAttr { return nil }
