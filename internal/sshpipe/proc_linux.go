package sshpipe

import "syscall"

// endWithParent has the kernel end ssh when Horcrux ends, however it ends.
func endWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
