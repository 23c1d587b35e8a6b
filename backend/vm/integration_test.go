package vm

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// The integration test drives a real libvirtd and real QEMU guests. It needs
// root, libvirt-daemon-system and qemu-system-x86; run it with
//
//	HORCRUX_INTEGRATION=1 go test -race -tags libvirt_dlopen -run Integration -v ./backend/vm/

const (
	itURI        = "qemu:///system"
	itLibvirtPid = "/run/libvirtd.pid"
)

var itNames = [2]string{"horcrux-it-a", "horcrux-it-b"}

func itDomainXML(name string) string {
	return "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
		"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>" +
		"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>" +
		"<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>" +
		"<video><model type='vga'/></video></devices></domain>"
}

func daemonScript(t *testing.T, arg string) {
	t.Helper()
	script, err := filepath.Abs("../../scripts/libvirtd.sh")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", script, arg).CombinedOutput()
	if err != nil {
		t.Fatalf("libvirtd.sh %s: %v\n%s", arg, err, out)
	}
	t.Logf("libvirtd.sh %s: %s", arg, strings.TrimSpace(string(out)))
}

// libvirtdPid returns the pid of the running libvirtd, or 0.
func libvirtdPid() int {
	raw, err := os.ReadFile(itLibvirtPid)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "libvirtd" {
		return 0
	}
	return pid
}

// removeDomains destroys and undefines the test guests, whatever state they are in.
func removeDomains(t *testing.T) {
	conn, err := libvirt.NewConnect(itURI)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	for _, name := range itNames {
		d, err := conn.LookupDomainByName(name)
		if err != nil {
			continue
		}
		if active, _ := d.IsActive(); active {
			if err := d.Destroy(); err != nil {
				t.Errorf("cleanup: destroy %s: %v", name, err)
			}
		}
		if err := d.Undefine(); err != nil {
			t.Errorf("cleanup: undefine %s: %v", name, err)
		}
		d.Free()
	}
}

func mustFind(t *testing.T, sec model.VMSection, name string) model.Machine {
	t.Helper()
	m, ok := find(sec, name)
	if !ok {
		t.Fatalf("%s missing from the list (%d items, error %q)", name, len(sec.Items), sec.Reason)
	}
	return m
}

func TestIntegration(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against a real libvirtd and QEMU (root, libvirt-daemon-system, qemu-system-x86)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the integration test starts the system libvirtd: run it as root")
	}
	// Other packages start, stop and kill the same system libvirtd.
	testlock.Hold(t, "libvirtd")
	t.Setenv("LIBVIRT_DEFAULT_URI", "") // exercise the default choice: qemu:///system for root

	wasRunning := libvirtdPid() != 0
	daemonScript(t, "start")
	t.Cleanup(func() {
		if !wasRunning {
			daemonScript(t, "stop")
		} else if libvirtdPid() == 0 {
			daemonScript(t, "start") // leave it as we found it
		}
	})
	removeDomains(t) // leftovers of an interrupted run
	t.Cleanup(func() { removeDomains(t) })

	setup, err := libvirt.NewConnect(itURI)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range itNames {
		d, err := setup.DomainDefineXML(itDomainXML(name))
		if err != nil {
			t.Fatalf("define %s: %v", name, err)
		}
		if i == 0 {
			if err := d.Create(); err != nil {
				t.Fatalf("start %s: %v", name, err)
			}
		}
		d.Free()
	}
	setup.Close() // libvirtd is killed below; don't keep a connection to it

	s := NewSource(Config{CallTimeout: 2 * time.Second})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	a, b := itNames[0], itNames[1]

	t.Run("list", func(t *testing.T) {
		// The first stats call after a daemon start can outlast CallTimeout.
		began := time.Now()
		sec := pollUntil(t, s, 30*time.Second, "the first list", func(sec model.VMSection) bool { return sec.IsUp() })
		t.Logf("first list after %s", time.Since(began).Round(time.Millisecond))
		if sec.URI != itURI {
			t.Fatalf("section: available=%v uri=%q error=%q", sec.IsUp(), sec.URI, sec.Reason)
		}
		ma, mb := mustFind(t, sec, a), mustFind(t, sec, b)
		if ma.State != model.VMRunning || mb.State != model.VMShutoff {
			t.Errorf("states %s/%s, want running/shutoff", ma.State, mb.State)
		}
		for _, m := range []model.Machine{ma, mb} {
			if !m.VNC || m.VCPUs != 1 || m.MemoryBytes != 64<<20 || len(m.UUID) != 36 {
				t.Errorf("%s: %+v", m.Name, m)
			}
		}
		if mb.CPUPercent != nil || mb.UptimeSeconds != nil {
			t.Errorf("figures for a shut-off guest: %+v", mb)
		}
		if ma.UptimeSeconds == nil || *ma.UptimeSeconds < 0 || *ma.UptimeSeconds > 120 {
			t.Errorf("uptime of a guest started just now: %v", ma.UptimeSeconds)
		}
	})

	t.Run("cpu", func(t *testing.T) {
		sec := pollUntil(t, s, 30*time.Second, "CPU% of the running guest above 0", func(sec model.VMSection) bool {
			m, ok := find(sec, a)
			return ok && m.CPUPercent != nil && *m.CPUPercent > 0
		})
		m := mustFind(t, sec, a)
		t.Logf("%s: cpu %.2f%% uptime %.1fs", a, *m.CPUPercent, *m.UptimeSeconds)
		if *m.CPUPercent > 100*float64(m.VCPUs)+5 {
			t.Errorf("CPU %.1f%% is more than %d vCPU can use", *m.CPUPercent, m.VCPUs)
		}
	})

	t.Run("display", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := s.Display(ctx, mustFind(t, s.Poll(ctx), a).UUID, VNC)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(d.Addr, "127.0.0.1:59") || !strings.Contains(d.Via, "graphics fd") {
			t.Fatalf("display %+v", d)
		}
		c, err := d.Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// OpenGraphicsFD hands over a socket pair, not a TCP connection.
		if _, tcp := c.LocalAddr().(*net.TCPAddr); tcp {
			t.Errorf("dialled %v over TCP: OpenGraphicsFD was not used", c.RemoteAddr())
		}
		banner := make([]byte, 12)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, banner); err != nil || !strings.HasPrefix(string(banner), "RFB 003.00") {
			t.Fatalf("banner %q, %v", banner, err)
		}
		if _, err := s.Display(ctx, mustFind(t, s.Poll(ctx), b).UUID, VNC); err == nil {
			t.Error("a display for a shut-off guest")
		}
	})

	uuid := mustFind(t, s.Poll(context.Background()), a).UUID
	act := func(t *testing.T, act model.VMAction, want ...model.VMState) model.Machine {
		t.Helper()
		m := mustFind(t, s.Poll(context.Background()), a)
		if !act.AppliesTo(m.State) {
			t.Fatalf("%s does not apply to %s", act, m.State)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Act(ctx, uuid, act); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		if len(want) == 0 {
			return m
		}
		sec := pollUntil(t, s, 15*time.Second, fmt.Sprintf("%s after %s", want, act), func(sec model.VMSection) bool {
			m, ok := find(sec, a)
			for _, w := range want {
				if ok && m.State == w {
					return true
				}
			}
			return false
		})
		return mustFind(t, sec, a)
	}

	t.Run("actions", func(t *testing.T) {
		act(t, model.PauseVM, model.VMPaused)
		act(t, model.ResumeVM, model.VMRunning)
		act(t, model.RebootVM, model.VMRunning)
		// SeaBIOS ignores ACPI: the guest may well keep running. Give it a moment.
		act(t, model.ShutDownVM)
		deadline := time.Now().Add(3 * time.Second)
		m := mustFind(t, s.Poll(context.Background()), a)
		for m.State != model.VMShutoff && time.Now().Before(deadline) {
			select {
			case <-s.Changed():
			case <-time.After(200 * time.Millisecond):
			}
			m = mustFind(t, s.Poll(context.Background()), a)
		}
		t.Logf("after shut down: %s", m.State)
		if m.State != model.VMShutoff {
			act(t, model.ForceOffVM, model.VMShutoff)
		}
		m = act(t, model.StartVM, model.VMRunning)
		if err := s.Act(context.Background(), uuid, model.StartVM); err == nil ||
			!strings.HasPrefix(err.Error(), "cannot start "+a+": ") {
			t.Errorf("start of a running guest: %v", err)
		}
	})

	t.Run("events", func(t *testing.T) {
		// A change made by another client reaches Changed through libvirt's events.
		select {
		case <-s.Changed():
		default:
		}
		out, err := exec.Command("virsh", "-c", itURI, "suspend", a).CombinedOutput()
		if err != nil {
			t.Fatalf("virsh suspend: %v\n%s", err, out)
		}
		select {
		case <-s.Changed():
		case <-time.After(10 * time.Second):
			t.Fatal("no Changed signal after virsh suspend")
		}
		if m := mustFind(t, s.Poll(context.Background()), a); m.State != model.VMPaused {
			t.Errorf("state %s after virsh suspend", m.State)
		}
		act(t, model.ResumeVM, model.VMRunning)
	})

	t.Run("hung daemon", func(t *testing.T) {
		pid := libvirtdPid()
		if pid == 0 {
			t.Fatal("libvirtd not running")
		}
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		stopped := true
		defer func() {
			if stopped {
				_ = syscall.Kill(pid, syscall.SIGCONT)
			}
		}()
		began := time.Now()
		sec := s.Poll(context.Background())
		if took := time.Since(began); took > 4*time.Second {
			t.Errorf("Poll took %s against a stopped libvirtd (CallTimeout 2s)", took)
		}
		if !strings.Contains(sec.Reason, "has not answered since") {
			t.Errorf("error %q", sec.Reason)
		}
		began = time.Now()
		if sec := s.Poll(context.Background()); !strings.Contains(sec.Reason, "has not answered") ||
			time.Since(began) > 500*time.Millisecond {
			t.Errorf("overlapping Poll: %q after %s", sec.Reason, time.Since(began))
		}
		// The request still reaches libvirtd once it runs again: pick one it refuses.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := s.Act(ctx, uuid, model.ResumeVM)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "has not answered") {
			t.Errorf("Act against a stopped libvirtd: %v", err)
		}
		_ = syscall.Kill(pid, syscall.SIGCONT)
		stopped = false
		pollUntil(t, s, 15*time.Second, "the list after SIGCONT", func(sec model.VMSection) bool {
			return sec.IsUp() && sec.Reason == ""
		})
	})

	t.Run("daemon restart", func(t *testing.T) {
		pid := libvirtdPid()
		if pid == 0 {
			t.Fatal("libvirtd not running")
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(25 * time.Millisecond)
		}
		sec := pollUntil(t, s, 20*time.Second, "the source to notice libvirtd died", func(sec model.VMSection) bool {
			return !sec.IsUp()
		})
		t.Logf("while down: %q", sec.Reason)
		if sec.Reason == "" || sec.URI != itURI {
			t.Errorf("unavailable section: %+v", sec)
		}
		daemonScript(t, "start")
		began := time.Now()
		sec = pollUntil(t, s, 30*time.Second, "the list to come back by itself", func(sec model.VMSection) bool {
			return sec.IsUp() && len(sec.Items) >= 2
		})
		t.Logf("list back %s after libvirtd restarted", time.Since(began).Round(time.Millisecond))
		if m := mustFind(t, sec, a); m.State != model.VMRunning || !m.VNC {
			t.Errorf("%s after restart: %+v", a, m)
		}
		if m := mustFind(t, sec, b); m.State != model.VMShutoff {
			t.Errorf("%s after restart: %+v", b, m)
		}
		// Events work on the new connection too.
		act(t, model.ForceOffVM, model.VMShutoff)
	})
}
