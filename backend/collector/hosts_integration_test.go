package collector_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/faults"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/container"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/vm"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func script(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(), "scripts", name), args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// TestSeveralHosts stands a second libvirtd (its own mount namespace and
// socket) and two private dockerds in for remote hosts, next to a libvirt
// host that hangs and an engine that is down: each host is its own section
// with its own state, and the hung one never slows the others.
func TestSeveralHosts(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to run with a second libvirtd and two dockerds")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to start the daemons")
	}
	dir := t.TempDir()

	// Host 1: a second libvirtd serving the test driver with three domains.
	lvDir := filepath.Join(dir, "libvirt")
	script(t, nil, "libvirtd-alt.sh", "start", lvDir)
	t.Cleanup(func() { exec.Command(filepath.Join(repoRoot(), "scripts", "libvirtd-alt.sh"), "stop", lvDir).Run() })
	node := filepath.Join(dir, "node.xml")
	var b strings.Builder
	b.WriteString("<node>")
	for i := range 3 {
		fmt.Fprintf(&b, "<domain type='test'><name>far-%d</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>", i)
	}
	b.WriteString("</node>")
	if err := os.WriteFile(node, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	farURI := "test+unix://" + node + "?socket=" + filepath.Join(lvDir, "libvirt-sock")

	// Host 2: a libvirt that accepts and never answers.
	hungURI := "qemu+unix:///system?socket=" + faults.SilentSocket(t)

	// Engines: two private dockerds and a socket nobody serves.
	var engines, engineDirs []string
	for _, name := range []string{"d1", "d2"} {
		d := filepath.Join("/tmp", fmt.Sprintf("horcrux-hosts-%s-%d", name, os.Getpid()))
		env := []string{"HORCRUX_DOCKERD_DIR=" + d}
		script(t, env, "dockerd.sh", "start")
		t.Cleanup(func() {
			cmd := exec.Command(filepath.Join(repoRoot(), "scripts", "dockerd.sh"), "stop")
			cmd.Env = append(os.Environ(), env...)
			cmd.Run()
			os.RemoveAll(d)
		})
		engines = append(engines, "unix://"+filepath.Join(d, "docker.sock"))
		engineDirs = append(engineDirs, d)
	}
	engines = append(engines, "unix://"+filepath.Join(dir, "no-docker.sock"))

	var vms []collector.VMSource
	for _, uri := range []string{farURI, hungURI} {
		s := vm.NewSource(vm.Config{URI: uri, CallTimeout: 2 * time.Second})
		defer s.Close()
		vms = append(vms, s)
	}
	var cts []collector.ContainerSource
	for _, h := range engines {
		s := container.NewSource(container.Config{Host: h})
		defer s.Close()
		cts = append(cts, s)
	}
	updates := make(chan *model.Snapshot, 1000)
	c := collector.New(collector.Config{
		Interval: 500 * time.Millisecond,
		Silence:  3 * time.Second,
		VMs:      vms, Containers: cts,
		OnUpdate: func(s *model.Snapshot) {
			select {
			case updates <- s:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Wait until every host has said something, counting how often the far
	// libvirt's list changed hands meanwhile.
	var (
		last      *model.Snapshot
		farFresh  int
		prevItems []model.Machine
	)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case s := <-updates:
			last = s
			if len(s.VMs[0].Items) > 0 && (prevItems == nil || &s.VMs[0].Items[0] != &prevItems[0]) {
				farFresh++
				prevItems = s.VMs[0].Items
			}
		case <-deadline:
			t.Fatalf("hosts never all reported: %+v / %+v", last.VMs, last.Containers)
		}
		hungSaid := strings.Contains(last.VMs[1].Reason, "has not answered") || strings.Contains(last.VMs[1].Reason, "cannot connect")
		if last.VMs[0].IsUp() && hungSaid && last.Containers[0].IsUp() && last.Containers[1].IsUp() &&
			last.Containers[2].Reason != "" && farFresh >= 5 {
			break
		}
	}
	if n := len(last.VMs[0].Items); n != 3 || last.VMs[0].URI != farURI {
		t.Errorf("far host: %d machines at %q", n, last.VMs[0].URI)
	}
	if last.VMs[1].IsUp() {
		t.Errorf("the hung host looks available: %+v", last.VMs[1])
	}
	if last.Containers[0].Host == last.Containers[1].Host || !strings.Contains(last.Containers[0].Engine, "API") {
		t.Errorf("engines: %+v / %+v", last.Containers[0], last.Containers[1])
	}
	if last.Containers[2].IsUp() || !strings.Contains(last.Containers[2].Reason, "no-docker.sock") {
		t.Errorf("the dead engine: %+v", last.Containers[2])
	}
	t.Logf("far host refreshed %d times while the hung one said: %s", farFresh, last.VMs[1].Reason)

	// A frozen dockerd (SIGSTOP) is shown as not answering, with since
	// when, never with its last figures; it comes back when it thaws.
	thaw := faults.Freeze(t, filepath.Join(engineDirs[1], "docker.pid"))
	frozenAt := time.Now()
	waitFor := func(what string, ok func(model.ContainerSection) bool) model.ContainerSection {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case s := <-updates:
				if ok(s.Containers[1]) {
					if !s.Containers[0].IsUp() {
						t.Errorf("the other engine went down meanwhile: %s", s.Containers[0].Reason)
					}
					return s.Containers[1]
				}
			case <-deadline:
				t.Fatalf("no snapshot where %s", what)
			}
		}
	}
	silent := waitFor("the frozen engine is not answering", func(s model.ContainerSection) bool { return s.State == model.NotAnswering })
	if silent.IsUp() || len(silent.Items) != 0 || !strings.Contains(silent.Reason, "has not answered since") {
		t.Errorf("the frozen engine: %+v", silent)
	}
	// The last answer may have reached the collector just after the freeze.
	if silent.Since.After(frozenAt.Add(time.Second)) {
		t.Errorf("not answering since %s, but it was frozen at %s", silent.Since, frozenAt)
	}
	thaw()
	waitFor("the thawed engine answers", func(s model.ContainerSection) bool { return s.IsUp() })
}
