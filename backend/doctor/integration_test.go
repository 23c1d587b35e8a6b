package doctor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// Integration tests need real daemons and root; the Makefile runs them with
// HORCRUX_INTEGRATION=1. They start what is not running and stop only that.

func needIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against real libvirtd, QEMU and dockerd")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to start libvirtd and dockerd")
	}
}

// script runs one of the repository's scripts and returns its output.
func script(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", "scripts", name), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// virsh runs virsh on qemu:///system.
func virsh(args ...string) (string, error) {
	out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
	return string(out), err
}

// guestXML is a diskless guest: SeaBIOS finds nothing to boot, and QEMU
// still serves whatever display the devices give it.
func guestXML(name, devices string) string {
	return "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
		"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>" +
		"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>" + devices + "</devices></domain>"
}

// startGuest defines and starts a guest, removing it when the test ends.
func startGuest(t *testing.T, name, devices string) error {
	t.Helper()
	removeGuest(name) // left over from an interrupted run
	path := filepath.Join(t.TempDir(), name+".xml")
	if err := os.WriteFile(path, []byte(guestXML(name, devices)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := virsh("define", path); err != nil {
		t.Fatalf("define %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { removeGuest(name) })
	if out, err := virsh("start", name); err != nil {
		return &exec.Error{Name: "virsh start " + name + ": " + strings.TrimSpace(out), Err: err}
	}
	return nil
}

func removeGuest(name string) {
	_, _ = virsh("destroy", name)
	_, _ = virsh("undefine", name)
}

func TestIntegrationLibvirt(t *testing.T) {
	needIntegration(t)
	// Other packages start, stop and kill the same system libvirtd.
	testlock.Hold(t, "libvirtd")
	if _, err := exec.LookPath("virsh"); err != nil {
		t.Skip("needs virsh (libvirt-clients)")
	}
	if !libvirtdRunning() {
		if out, err := script(t, nil, "libvirtd.sh", "start"); err != nil {
			t.Fatalf("scripts/libvirtd.sh start: %v\n%s", err, out)
		}
		// Registered first, so it runs after the guests are removed.
		t.Cleanup(func() {
			if out, err := script(t, nil, "libvirtd.sh", "stop"); err != nil {
				t.Errorf("scripts/libvirtd.sh stop: %v\n%s", err, out)
			}
		})
	}
	const vnc, none, spice = "horcrux-doctor-vnc", "horcrux-doctor-nographics", "horcrux-doctor-spice"
	if err := startGuest(t, vnc, "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video>"); err != nil {
		t.Fatal(err)
	}
	if err := startGuest(t, none, ""); err != nil {
		t.Fatal(err)
	}
	const agent = "hx-facts-doctor-agent"
	if err := startGuest(t, agent, agentChannel); err != nil {
		t.Fatal(err)
	}
	spiceErr := startGuest(t, spice, "<graphics type='spice' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video>")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // upper bound only
	defer cancel()
	rs := Run(ctx, Config{URIs: []string{"qemu:///system"}, Timeout: 20 * time.Second})
	t.Log(dump(rs))
	expect(t, find(t, rs, "libvirt connection qemu:///system"), StatusOK, []string{"connected to libvirt", "QEMU"}, nil)
	expect(t, find(t, rs, "VM console "+vnc+" (qemu:///system)"), StatusOK, []string{"VNC on 127.0.0.1:", "answers: RFB 003.008"}, nil)
	expect(t, find(t, rs, "VM console "+none+" (qemu:///system)"), StatusWarning, []string{"has no display"}, []string{"add a VNC graphics device"})
	// SeaBIOS runs no agent: the channel is there, nobody holds it.
	expect(t, find(t, rs, "VM guest agent "+agent+" (qemu:///system)"), StatusWarning,
		[]string{"no agent answers"}, []string{"systemctl enable --now qemu-guest-agent"})
	expect(t, find(t, rs, "VM guest agent "+vnc+" (qemu:///system)"), StatusWarning,
		[]string{"no guest agent channel"}, []string{"org.qemu.guest_agent.0", "edit " + vnc})
	t.Run("SPICE only", func(t *testing.T) {
		if spiceErr != nil {
			t.Skip("this QEMU cannot start a SPICE guest:", spiceErr)
		}
		expect(t, find(t, rs, "VM console "+spice+" (qemu:///system)"), StatusWarning,
			[]string{"console needs VNC; this VM has SPICE only"}, []string{"add a VNC graphics device with virt-manager or `virsh -c qemu:///system edit " + spice + "`"})
	})

	t.Run("as a user without access", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("needs setpriv(1)")
		}
		bin, dir := publicBinary(t)
		cmd := helperCmd(t, bin, "libvirt", "qemu:///system", setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
		cmd.Dir = dir
		cmd.Env = append(cmd.Env, "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir)
		rs := runHelperCmd(t, cmd)
		t.Log(dump(rs))
		r := find(t, rs, "libvirt connection qemu:///system")
		expect(t, r, StatusFailed, []string{"permission denied"}, []string{"sudo usermod -aG libvirt $USER"})
		for _, r := range rs {
			if strings.HasPrefix(r.Check, "VM console") {
				t.Errorf("consoles checked without access: %+v", r)
			}
		}
	})
}

func TestIntegrationDocker(t *testing.T) {
	needIntegration(t)
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Skip("needs dockerd (docker.io)")
	}
	// A private daemon in a directory others may enter, so nobody can reach
	// the socket itself and be refused by its permissions alone.
	dir := publicTempDir(t)
	env := []string{"HORCRUX_DOCKERD_DIR=" + dir}
	if out, err := script(t, env, "dockerd.sh", "start"); err != nil {
		t.Fatalf("scripts/dockerd.sh start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := script(t, env, "dockerd.sh", "stop"); err != nil {
			t.Errorf("scripts/dockerd.sh stop: %v\n%s", err, out)
		}
	})
	host := "unix://" + filepath.Join(dir, "docker.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // upper bound only
	defer cancel()
	r := dockerOnly(ctx, Config{DockerHosts: []string{host}, Timeout: 20 * time.Second})
	expect(t, r, StatusOK, []string{"Docker ", "(API 1.", "answers at " + host}, nil)
	t.Log(r.Detail)

	t.Run("as a user outside the docker group", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("needs setpriv(1)")
		}
		bin, bdir := publicBinary(t)
		cmd := helperCmd(t, bin, "docker", host, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
		cmd.Dir = bdir
		rs := runHelperCmd(t, cmd)
		t.Log(dump(rs))
		expect(t, rs[0], StatusFailed, []string{"permission denied on " + filepath.Join(dir, "docker.sock")}, []string{"sudo usermod -aG docker $USER"})
	})
}
