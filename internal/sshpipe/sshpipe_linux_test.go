package sshpipe

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/faults"
)

// TestSSHEndsWithItsParent kills a process that holds a connection from Dial
// and expects its ssh to end too: a Horcrux that crashed must not leave ssh
// sessions, and the remote commands behind them, running.
func TestSSHEndsWithItsParent(t *testing.T) {
	if os.Getenv("SSHPIPE_HOLDER") == "1" {
		if _, err := Dial([]string{"example.org"}); err != nil {
			os.Exit(2)
		}
		select {} // killed by the test
	}
	bin := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "ssh.pid")
	// An "ssh" that never ends by itself.
	script := "#!/bin/sh\necho $$ > " + pidFile + ".new && mv " + pidFile + ".new " + pidFile + "\nexec sleep 600\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command(os.Args[0], "-test.run=^TestSSHEndsWithItsParent$")
	holder.Env = append(os.Environ(), "SSHPIPE_HOLDER=1", "PATH="+bin+":"+os.Getenv("PATH"))
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitPID(t, pidFile, holder)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	holder.Process.Kill()
	holder.Wait()
	for deadline := time.Now().Add(10 * time.Second); !faults.Exited(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("ssh (pid %d) still runs 10 s after the process that started it was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitPID(t *testing.T, file string, holder *exec.Cmd) int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if b, err := os.ReadFile(file); err == nil {
			pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			holder.Process.Kill()
			t.Fatal("the holder's ssh did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
