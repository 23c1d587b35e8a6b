//go:build !linux

package sshpipe

import "syscall"

// endWithParent: only Linux can tie a child's life to its parent's.
func endWithParent() *syscall.SysProcAttr { return nil }
