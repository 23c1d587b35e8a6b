// Package faults stands in for daemons that stop answering, in tests: a
// socket that accepts and never answers, and a real daemon frozen with
// SIGSTOP.
package faults

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// SilentSocket listens on a unix socket that accepts and never answers, as
// a daemon stopped with SIGSTOP does (the kernel still accepts); it is
// closed when the test ends. It returns the socket's path.
func SilentSocket(t testing.TB) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "silent-sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return sock
}

// Freeze stops the process whose pid is in pidFile with SIGSTOP. The
// returned thaw continues it (once); the test's end does too.
func Freeze(t testing.TB, pidFile string) (thaw func()) {
	t.Helper()
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thaw = sync.OnceFunc(func() { syscall.Kill(pid, syscall.SIGCONT) })
	t.Cleanup(thaw)
	return thaw
}
