package app

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/vm"
	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// The details window of a real QEMU guest with a qcow2 disk on the system
// libvirtd; run it with
//
//	HORCRUX_INTEGRATION=1 go test -race -tags libvirt_dlopen -run IntegrationDetails -v ./app/
func TestIntegrationDetails(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 to run against a real libvirtd and QEMU (root, libvirt-daemon-system, qemu-system-x86, qemu-utils)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the integration test starts the system libvirtd: run it as root")
	}
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatal("qemu-img is missing: apt-get install qemu-utils")
	}
	libvirtd := func(arg string) {
		out, err := exec.Command("sh", "../scripts/libvirtd.sh", arg).CombinedOutput()
		if err != nil {
			t.Fatalf("scripts/libvirtd.sh %s: %v\n%s", arg, err, out)
		}
	}
	// A running (shared) libvirtd is used as it is; one this test starts it
	// also stops, holding the lock so no other test loses it meanwhile.
	if exec.Command("virsh", "-c", "qemu:///system", "uri").Run() != nil {
		testlock.Hold(t, "libvirtd")
		libvirtd("start")
		t.Cleanup(func() { libvirtd("stop") })
	}

	// QEMU runs as another user: the disk needs a directory it can enter.
	dir, err := os.MkdirTemp("", "hx-details-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "disk.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v\n%s", err, out)
	}
	const name = "hx-details-it"
	conn, err := libvirt.NewConnect("qemu:///system")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	remove := func() {
		d, err := conn.LookupDomainByName(name)
		if err != nil {
			if le := (libvirt.Error{}); !errors.As(err, &le) || le.Code != libvirt.ERR_NO_DOMAIN {
				t.Errorf("cleanup: look up %s: %v", name, err)
			}
			return
		}
		defer d.Free()
		if active, _ := d.IsActive(); active {
			_ = d.Destroy()
		}
		if err := d.UndefineFlags(libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA); err != nil {
			t.Errorf("cleanup: undefine %s: %v", name, err)
		}
	}
	remove()
	t.Cleanup(remove)
	d, err := conn.DomainDefineXML("<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
		"<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>" +
		"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>" +
		"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/></disk>" +
		"<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices></domain>")
	if err != nil {
		t.Fatalf("define %s: %v", name, err)
	}
	if err := d.Create(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	uuid, _ := d.GetUUIDString()
	d.Free()

	src := vm.NewSource(vm.Config{URI: "qemu:///system", CallTimeout: 5 * time.Second})
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	src.Poll(context.Background()) // connects

	test.NewTempApp(t)
	w := test.NewTempWindow(t, container.NewStack())
	v := newDetailsView(w)
	ui := make(chan func(), 1)
	v.uiDo = func(f func()) { ui <- f }
	v.load(testJobs(t), src, model.Machine{Name: name, UUID: uuid, State: model.VMRunning})
	(<-ui)()

	text := labelTexts(w.Content())
	if strings.Contains(text, "Cannot read") {
		t.Fatalf("details not read:\n%s", text)
	}
	// The disk row: target, source path, format, capacity.
	rows := diskRowsOf(t, v)
	if len(rows) != 1 {
		t.Fatalf("disk rows %q, want one", rows)
	}
	if r := rows[0]; r[0] != "vda" || r[1] != disk || r[2] != "qcow2" || r[3] != "16 MiB" || r[4] == "—" {
		t.Errorf("disk row %q, want vda, %s, qcow2, 16 MiB and an allocation", r, disk)
	}
	if !strings.Contains(text, "VNC on 127.0.0.1:59") || !strings.Contains(v.xml, "<name>"+name+"</name>") {
		t.Errorf("graphics or XML missing:\n%s", text)
	}
	t.Logf("disk row %q", rows[0])

	// The snapshot window on the same guest: the pre-check allows an
	// internal snapshot of a qcow2 disk; one taken is listed as current.
	sw := test.NewTempWindow(t, container.NewStack())
	sv := newSnapshotView(sw, testJobs(t), src, model.Machine{Name: name, UUID: uuid, State: model.VMRunning})
	sv.uiDo = func(f func()) { ui <- f }
	sv.reload()
	(<-ui)()
	if sv.create[model.SnapshotInternal].Disabled() {
		t.Fatalf("Take snapshot disabled for a qcow2 guest: %q", sv.checks.Text)
	}
	test.Tap(sv.create[model.SnapshotInternal])
	for _, o := range test.LaidOutObjects(sw.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder != "" {
			test.Type(e, "hx-details-s1")
		}
	}
	test.Tap(overlayButton(t, sw, "Take"))
	(<-ui)() // taken
	(<-ui)() // listed again
	if sw.Canvas().Overlays().Top() != nil {
		t.Fatalf("taking a snapshot failed: %s", labelTexts(sw.Canvas().Overlays().Top()))
	}
	if len(sv.snaps) != 1 || sv.snaps[0].Name != "hx-details-s1" || !sv.snaps[0].Current || !sv.snaps[0].Memory {
		t.Errorf("snapshots after Take: %+v", sv.snaps)
	}
}

// diskRowsOf reads the disk rows the view shows again from the source, as
// the view formats them.
func diskRowsOf(t *testing.T, v *detailsView) [][]string {
	t.Helper()
	if v.details == nil {
		t.Fatal("no details shown")
	}
	return diskRows(v.details.Disks)
}
