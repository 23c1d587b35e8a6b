package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/faults"
)

// frozenDockerd starts a private dockerd and freezes it with SIGSTOP; it is
// thawed and stopped when the test ends. It returns the engine's address.
func frozenDockerd(t *testing.T) string {
	t.Helper()
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to freeze a real dockerd")
	}
	dir := filepath.Join("/tmp", fmt.Sprintf("horcrux-faults-%d", os.Getpid()))
	env := append(os.Environ(), "HORCRUX_DOCKERD_DIR="+dir)
	start := exec.Command("scripts/dockerd.sh", "start")
	start.Env = env
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("dockerd: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		stop := exec.Command("scripts/dockerd.sh", "stop")
		stop.Env = env
		stop.Run()
		os.RemoveAll(dir)
	})
	faults.Freeze(t, filepath.Join(dir, "docker.pid"))
	return "unix://" + filepath.Join(dir, "docker.sock")
}

// TestSnapshotWithAFrozenDockerd: `snapshot` returns within 2 x interval +
// 5 s with the frozen engine not answering, and SIGINT ends it at once.
func TestSnapshotWithAFrozenDockerd(t *testing.T) {
	engine := frozenDockerd(t)
	bin := buildBinary(t)

	began := time.Now()
	out, err := exec.Command(bin, "snapshot", "--json", "--interval", "1s", "--connect", "test:///default", "--docker-host", engine).Output()
	took := time.Since(began)
	if err != nil {
		t.Fatalf("snapshot: %v\n%s", err, out)
	}
	if took > 7*time.Second+2*time.Second { // the bound plus the process's start and exit
		t.Errorf("snapshot took %s with a frozen dockerd; the bound is 2 x 1s + 5s", took)
	}
	var doc struct {
		VMs        struct{ Available bool } `json:"vms"`
		Containers struct {
			Available bool
			State     string
			Error     string
			Since     string
		} `json:"containers"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := doc.Containers
	if c.Available || c.State != "not-answering" || c.Since == "" || !strings.Contains(c.Error, "has not answered since") {
		t.Errorf("the frozen engine is reported as %+v", c)
	}
	if !doc.VMs.Available {
		t.Error("the VMs were lost with the frozen engine")
	}

	// SIGINT while the engine is frozen ends the command within a second.
	cmd := exec.Command(bin, "snapshot", "--interval", "1s", "--connect", "test:///default", "--docker-host", engine)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond) // past the first reading, waiting on the engine
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("snapshot still running 3 s after SIGINT with a frozen dockerd:\n%s", stderr.String())
	}
}

// TestExporterWithAFrozenDockerd: the exporter keeps answering and says the
// engine is down while it is frozen.
func TestExporterWithAFrozenDockerd(t *testing.T) {
	engine := frozenDockerd(t)
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "exporter", "--connect", "test:///default", "--docker-host", engine, "--listen", addr)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "serving") {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := exec.Command("curl", "-sf", "--max-time", "2", "http://"+addr+"/metrics").Output()
		if err != nil {
			t.Fatalf("the exporter stopped answering during a Docker hang: %v", err)
		}
		for _, l := range strings.Split(string(res), "\n") {
			if strings.HasPrefix(l, "horcrux_containers_up{") && strings.HasSuffix(l, " 0") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers_up never 0 with a frozen engine:\n%s", res)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestWindowQuitsWithAHungHost: a configured libvirt host that never
// answers does not hold up a quit.
func TestWindowQuitsWithAHungHost(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	app, logs := startApp(t, bin, display, t.TempDir(), "--connect", "qemu+unix:///system?socket="+faults.SilentSocket(t))
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	waitForWindow(t, display, logs)
	time.Sleep(2 * time.Second) // the collector is now waiting on the hung host
	app.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit %v:\n%s", err, logs)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("the window took over 3 s to quit with a hung libvirt host:\n%s", logs)
	}
}

// TestSnapshotWithAFrozenLibvirtd: a second, real libvirtd (its own socket
// and mount namespace) stopped with SIGSTOP: `snapshot` still returns within
// its bound with the VM list not answering, and lists it again once the
// daemon runs.
func TestSnapshotWithAFrozenLibvirtd(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to freeze a real libvirtd")
	}
	dir := t.TempDir()
	if out, err := exec.Command("scripts/libvirtd-alt.sh", "start", dir).CombinedOutput(); err != nil {
		t.Fatalf("libvirtd: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("scripts/libvirtd-alt.sh", "stop", dir).Run() })
	uri := "test+unix:///default?socket=" + filepath.Join(dir, "libvirt-sock")
	bin := buildBinary(t)
	snapshot := func() (available bool, state, reason string, took time.Duration) {
		t.Helper()
		began := time.Now()
		out, err := exec.Command(bin, "snapshot", "--json", "--interval", "1s", "--connect", uri,
			"--docker-host", "unix://"+filepath.Join(dir, "no-docker.sock")).Output()
		took = time.Since(began)
		if err != nil {
			t.Fatalf("snapshot: %v\n%s", err, out)
		}
		var doc struct {
			VMs struct {
				Available bool
				State     string
				Error     string
			} `json:"vms"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return doc.VMs.Available, doc.VMs.State, doc.VMs.Error, took
	}
	if ok, state, reason, _ := snapshot(); !ok {
		t.Fatalf("the running libvirtd is not listed: %s %s", state, reason)
	}

	thaw := faults.Freeze(t, filepath.Join(dir, "libvirtd.pid"))
	ok, state, reason, took := snapshot()
	if ok || state != "not-answering" || !strings.Contains(reason, "has not answered") {
		t.Errorf("a frozen libvirtd reported as available=%v state=%q: %s", ok, state, reason)
	}
	if took > 9*time.Second { // 2 x 1 s + 5 s, and the process's start and exit
		t.Errorf("snapshot took %s with a frozen libvirtd", took)
	}

	thaw()
	if ok, state, reason, _ := snapshot(); !ok {
		t.Errorf("after SIGCONT the VMs are not back: %s %s", state, reason)
	}
}
