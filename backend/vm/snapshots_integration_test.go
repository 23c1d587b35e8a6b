package vm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// Snapshots and guest facts on real QEMU guests of the system libvirtd,
// with disks made by qemu-img; run it with
//
//	HORCRUX_INTEGRATION=1 go test -race -tags libvirt_dlopen -run IntegrationSnapshots -v ./backend/vm/

// snapGuestXML is a diskless-boot TCG guest (SeaBIOS finds nothing to boot)
// with one disk of the given format, and a guest agent channel if asked.
func snapGuestXML(name, disk, format string, agent bool) string {
	channel := ""
	if agent {
		channel = agentChannelXML
	}
	return "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
		"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>" +
		"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>" +
		"<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/></disk>" +
		channel + "</devices></domain>"
}

func TestIntegrationSnapshots(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against a real libvirtd and QEMU (root, libvirt-daemon-system, qemu-system-x86, qemu-utils)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the integration test starts the system libvirtd: run it as root")
	}
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatal("qemu-img is missing: apt-get install qemu-utils")
	}
	testlock.Hold(t, "libvirtd")
	wasRunning := libvirtdPid() != 0
	daemonScript(t, "start")
	t.Cleanup(func() {
		if !wasRunning {
			daemonScript(t, "stop")
		}
	})

	// QEMU runs as another user: its disks need a directory it can enter.
	dir, err := os.MkdirTemp("", "hx-facts-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	qcow2, raw := filepath.Join(dir, "snap.qcow2"), filepath.Join(dir, "raw.img")
	for _, c := range [][]string{{"create", "-q", "-f", "qcow2", qcow2, "16M"}, {"create", "-q", "-f", "raw", raw, "16M"}} {
		if out, err := exec.Command("qemu-img", c...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img %s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	const snapName, rawName = "hx-facts-qcow2", "hx-facts-raw"
	conn, err := libvirt.NewConnect(itURI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // after remove: cleanups run last first
	remove := func() {
		for _, n := range []string{snapName, rawName} {
			d, err := conn.LookupDomainByName(n)
			if err != nil {
				if le := (libvirt.Error{}); !errors.As(err, &le) || le.Code != libvirt.ERR_NO_DOMAIN {
					t.Errorf("cleanup: look up %s: %v", n, err)
				}
				continue
			}
			if active, _ := d.IsActive(); active {
				_ = d.Destroy()
			}
			if err := d.UndefineFlags(libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA); err != nil {
				t.Errorf("cleanup: undefine %s: %v", n, err)
			}
			d.Free()
		}
	}
	remove()
	t.Cleanup(remove)
	for _, g := range []struct {
		name, disk, format string
		agent              bool
	}{{snapName, qcow2, "qcow2", true}, {rawName, raw, "raw", false}} {
		d, err := conn.DomainDefineXML(snapGuestXML(g.name, g.disk, g.format, g.agent))
		if err != nil {
			t.Fatalf("define %s: %v", g.name, err)
		}
		if err := d.Create(); err != nil {
			t.Fatalf("start %s: %v", g.name, err)
		}
		d.Free()
	}

	s := NewSource(Config{URI: itURI, CallTimeout: 5 * time.Second})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	sec := pollUntil(t, s, 60*time.Second, "facts of both guests", func(sec model.VMSection) bool {
		a, okA := find(sec, snapName)
		b, okB := find(sec, rawName)
		return okA && okB && a.Guest != nil && b.Guest != nil
	})
	withAgent, noAgent := mustFind(t, sec, snapName), mustFind(t, sec, rawName)
	ctx := context.Background()

	t.Run("facts say why they are missing", func(t *testing.T) {
		// No agent runs in SeaBIOS: the channel is there, the agent is not.
		if g := withAgent.Guest; !strings.Contains(g.AgentWhy, "not answering") || len(g.Addresses) != 0 || g.AddressesWhy == "" {
			t.Errorf("guest with a channel: %+v", g)
		}
		if g := noAgent.Guest; !strings.Contains(g.AgentWhy, "no guest agent channel") || !strings.Contains(g.AgentWhy, "virsh edit "+rawName) {
			t.Errorf("guest without a channel: %+v", g)
		}
		t.Logf("agent: %s", withAgent.Guest.AgentWhy)
		t.Logf("addresses: %s", withAgent.Guest.AddressesWhy)
	})

	t.Run("pre-check refuses a raw disk", func(t *testing.T) {
		checks, err := s.SnapshotChecks(ctx, noAgent.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if checks[0].OK() || !strings.Contains(strings.Join(checks[0].Problems, ";"), "disk vda is raw ("+raw+")") {
			t.Errorf("internal check for the raw guest: %+v", checks[0])
		}
		if !checks[1].OK() {
			t.Errorf("disk-only check for the raw guest: %+v", checks[1])
		}
		err = s.CreateSnapshot(ctx, noAgent.UUID, model.SnapshotInternal, "never", "")
		var se *SnapshotError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "raw") {
			t.Errorf("internal snapshot of the raw guest: %v", err)
		}
	})

	t.Run("create, list, revert, delete on qcow2", func(t *testing.T) {
		checks, err := s.SnapshotChecks(ctx, withAgent.UUID)
		if err != nil || !checks[0].OK() {
			t.Fatalf("checks %+v, %v", checks, err)
		}
		for _, n := range []string{"s1", "s2"} {
			if err := s.CreateSnapshot(ctx, withAgent.UUID, model.SnapshotInternal, n, "by "+t.Name()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RevertSnapshot(ctx, withAgent.UUID, "s1"); err != nil {
			t.Fatal(err)
		}
		list, err := s.Snapshots(ctx, withAgent.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "s1" || !list[0].Current || list[1].Parent != "s1" || list[1].Depth != 1 ||
			!list[0].Memory || list[0].State != model.VMRunning || list[0].Description != "by "+t.Name() {
			t.Errorf("list %+v", list)
		}
		if err := s.DeleteSnapshot(ctx, withAgent.UUID, "s2", false); err != nil {
			t.Fatal(err)
		}
		if list, err := s.Snapshots(ctx, withAgent.UUID); err != nil || len(list) != 1 {
			t.Errorf("after delete: %+v, %v", list, err)
		}
		if err := s.DeleteSnapshot(ctx, withAgent.UUID, "s2", false); err == nil || !strings.Contains(err.Error(), "s2") {
			t.Errorf("deleting it twice: %v", err)
		}
	})

	t.Run("disk-only", func(t *testing.T) {
		if err := s.CreateSnapshot(ctx, noAgent.UUID, model.SnapshotDiskOnly, "d1", ""); err != nil {
			t.Fatal(err)
		}
		list, err := s.Snapshots(ctx, noAgent.UUID)
		if err != nil || len(list) != 1 || !list[0].External || list[0].Memory {
			t.Fatalf("list %+v, %v", list, err)
		}
		checks, _ := s.SnapshotChecks(ctx, noAgent.UUID)
		v, _ := conn.GetLibVersion()
		if v < externalRevertVersion {
			if len(checks[1].Warnings) == 0 {
				t.Errorf("libvirt %s and no warning about reverting: %+v", versionWords(v), checks[1])
			}
			// libvirt's own reason reaches the user.
			err := s.RevertSnapshot(ctx, noAgent.UUID, "d1")
			if err == nil || !strings.Contains(err.Error(), "d1") || len(err.Error()) < len("cannot revert to snapshot \"d1\" of "+rawName+": ")+5 {
				t.Errorf("revert to an external snapshot on libvirt %s: %v", versionWords(v), err)
			}
			t.Logf("libvirt %s: %v", versionWords(v), err)
		}
	})
}
