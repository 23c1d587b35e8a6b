// Package faults stands in for daemons that stop answering, in tests: a
// socket that accepts and never answers, a real daemon frozen with SIGSTOP
// and one killed with SIGKILL.
package faults

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SilentSocket listens on a unix socket that accepts and never answers, as
// a daemon stopped with SIGSTOP does (the kernel still accepts); it is
// closed when the test ends. It returns the socket's path.
func SilentSocket(t testing.TB) string {
	t.Helper()
	sock, _ := HungDaemon(t)
	return sock
}

// HungDaemon is SilentSocket with a hangUp that closes the socket and
// every connection it took, as a hung daemon that is then killed: calls
// waiting on it end with an error.
func HungDaemon(t testing.TB) (sock string, hangUp func()) {
	t.Helper()
	sock = filepath.Join(t.TempDir(), "silent-sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
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
	hangUp = sync.OnceFunc(func() {
		ln.Close()
		<-ended
	})
	t.Cleanup(hangUp)
	return sock, hangUp
}

// Freeze stops the process whose pid is in pidFile with SIGSTOP. The
// returned thaw continues it (once); the test's end does too.
func Freeze(t testing.TB, pidFile string) (thaw func()) {
	t.Helper()
	return freeze(t, []int{readPID(t, pidFile)})
}

// FreezeTree stops the process pid and every process below it with
// SIGSTOP, as a frozen host would: an sshd serves each connection from a
// child (in its own session), which a SIGSTOP of the listener alone leaves
// running. The returned thaw continues them all (once); the test's end
// does too.
func FreezeTree(t testing.TB, pid int) (thaw func()) {
	t.Helper()
	return freeze(t, tree(pid))
}

func freeze(t testing.TB, pids []int) (thaw func()) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatalf("SIGSTOP %d: %v", pid, err)
		}
	}
	thaw = sync.OnceFunc(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	})
	t.Cleanup(thaw)
	return thaw
}

// Kill ends the process whose pid is in pidFile with SIGKILL, as a crash
// would, and returns once it is gone and reaped (a start script that finds
// a zombie under the old pid takes the daemon for running); starting it
// again is the caller's.
func Kill(t testing.TB, pidFile string) {
	t.Helper()
	pid := readPID(t, pidFile)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %d: %v", pid, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still there (or not reaped) 10 s after SIGKILL", pid)
		}
	}
}

// tree is pid and its descendants, read from /proc.
func tree(pid int) []int {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(string(stat)); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	all := []int{pid}
	for i := 0; i < len(all); i++ {
		all = append(all, children[all[i]]...)
	}
	return all
}

// Exited says whether process pid has ended, reaped or not (a zombie has).
func Exited(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])) // the name may hold ')'
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

// parentPID is the parent pid in a /proc/PID/stat line, whose second field
// (the command name) may hold spaces and parentheses.
func parentPID(stat string) (ppid int, ok bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

func readPID(t testing.TB, pidFile string) int {
	t.Helper()
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	return pid
}
