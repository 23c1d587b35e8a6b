package vm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestCheckSnapshots(t *testing.T) {
	const qcow2 = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/a.qcow2'/><target dev='vda'/></disk>`
	const raw = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/lib/libvirt/images/b.img'/><target dev='vdb'/></disk>`
	const cdrom = `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/d.iso'/><target dev='sda'/><readonly/></disk>`
	const rbd = `<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='rbd' name='pool/img'/><target dev='vdc'/></disk>`
	const uefiRaw = `<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/a_VARS.fd</nvram></os>`
	const uefiQcow2 = `<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash' format='qcow2'>/usr/share/OVMF/OVMF_CODE_4M.qcow2</loader><nvram format='qcow2'>/var/lib/libvirt/qemu/nvram/a_VARS.qcow2</nvram></os>`
	dom := func(os, disks string) string {
		return "<domain type='kvm'><name>a</name>" + os + "<devices>" + disks + "</devices></domain>"
	}
	qemu9 := snapshotEnv{running: true, driver: "QEMU", libVersion: 9_000_000}
	tests := []struct {
		name             string
		doc              string
		env              snapshotEnv
		internal, diskOK []string // substrings of problems; nil means none
		warn             bool     // disk-only warns about revert
	}{
		{"qcow2 running", dom("", qcow2+cdrom), qemu9, nil, nil, true},
		{"qcow2 on a new libvirt", dom("", qcow2), snapshotEnv{running: true, driver: "QEMU", libVersion: 10_000_000}, nil, nil, false},
		{"raw disk", dom("", qcow2+raw), qemu9, []string{"disk vdb is raw (/var/lib/libvirt/images/b.img)", "qcow2"}, nil, true},
		{"network disk", dom("", rbd), qemu9, []string{"disk vdc is a network disk (rbd:pool/img)"}, []string{"network disk"}, true},
		{"UEFI raw NVRAM running", dom(uefiRaw, qcow2), qemu9, []string{"UEFI firmware with raw NVRAM (/var/lib/libvirt/qemu/nvram/a_VARS.fd)", "shut it down"}, nil, true},
		{"UEFI raw NVRAM shut off", dom(uefiRaw, qcow2), snapshotEnv{driver: "QEMU", libVersion: 9_000_000}, nil, nil, true},
		{"UEFI qcow2 NVRAM", dom(uefiQcow2, qcow2), qemu9, nil, nil, true},
		{"diskless running", dom("", cdrom), qemu9, []string{"no writable disk"}, []string{"no writable disk"}, true},
		{"too old for live external", dom("", qcow2), snapshotEnv{running: true, driver: "QEMU", libVersion: 900_000}, nil, []string{"libvirt 0.900.0 is too old"}, true},
		{"test driver", dom("", `<disk type='file'/>`), snapshotEnv{running: true, driver: "Test", libVersion: 9_000_000}, nil, []string{"test driver takes no disk-only"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks, err := checkSnapshots(tt.doc, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 || checks[0].Kind != model.SnapshotInternal || checks[1].Kind != model.SnapshotDiskOnly {
				t.Fatalf("checks %+v", checks)
			}
			for i, want := range [][]string{tt.internal, tt.diskOK} {
				c := checks[i]
				if c.OK() != (len(want) == 0) {
					t.Errorf("%s: problems %q, want ones with %q", c.Kind, c.Problems, want)
				}
				all := strings.Join(c.Problems, " | ")
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Errorf("%s: problems %q, want %q among them", c.Kind, all, w)
					}
				}
			}
			if got := len(checks[1].Warnings) > 0; got != tt.warn {
				t.Errorf("disk-only warnings %q, want some: %v", checks[1].Warnings, tt.warn)
			}
		})
	}
	if _, err := checkSnapshots("<domain", qemu9); err == nil {
		t.Error("broken XML checked without error")
	}
}

func TestParseSnapshotXML(t *testing.T) {
	s, err := parseSnapshotXML(`<domainsnapshot><name>before-upgrade</name><description>apt upgrade &amp; reboot</description>
  <state>running</state><parent><name>base</name></parent><creationTime>1764500000</creationTime>
  <memory snapshot='internal'/><disks><disk name='vda' snapshot='internal'/></disks></domainsnapshot>`)
	if err != nil {
		t.Fatal(err)
	}
	want := model.VMSnapshot{Name: "before-upgrade", Parent: "base", Description: "apt upgrade & reboot",
		State: model.VMRunning, Time: time.Unix(1764500000, 0).UTC(), Memory: true}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	ext, err := parseSnapshotXML(`<domainsnapshot><name>d</name><state>disk-snapshot</state><creationTime>1</creationTime>
  <memory snapshot='no'/><disks><disk name='vda' snapshot='external'><source file='/x.d'/></disk></disks></domainsnapshot>`)
	if err != nil || !ext.External || ext.Memory {
		t.Errorf("disk-only snapshot parsed as %+v, %v", ext, err)
	}
}

func FuzzParseSnapshotXML(f *testing.F) {
	f.Add(`<domainsnapshot><name>a</name><state>shutoff</state><creationTime>5</creationTime></domainsnapshot>`)
	f.Add(`<domainsnapshot><name>b</name><parent><name>a</name></parent><memory snapshot='external' file='/m'/></domainsnapshot>`)
	f.Add(`<domainsnapshot><creationTime>-99999999999999999999</creationTime>`)
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := parseSnapshotXML(doc)
		if err != nil || s.Parent == s.Name+"/child" {
			return
		}
		// Names are unique in libvirt; a child of s comes right after it.
		out := treeOrder([]model.VMSnapshot{{Name: s.Name + "/child", Parent: s.Name}, s})
		if len(out) != 2 || out[0].Name != s.Name || out[1].Depth != out[0].Depth+1 {
			t.Fatalf("tree of %+v and its child: %+v", s, out)
		}
	})
}

func FuzzCheckSnapshots(f *testing.F) {
	f.Add(`<domain type='kvm'><name>a</name><os><loader type='pflash'/><nvram/></os><devices><disk type='file' device='disk'><source file='/a'/></disk></devices></domain>`, true)
	f.Fuzz(func(t *testing.T, doc string, running bool) {
		checks, err := checkSnapshots(doc, snapshotEnv{running: running, driver: "QEMU", libVersion: 9_000_000})
		if err == nil && len(checks) != 2 {
			t.Fatalf("%d checks", len(checks))
		}
	})
}

func TestTreeOrder(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0) }
	in := []model.VMSnapshot{
		{Name: "c2", Parent: "b", Time: at(4)},
		{Name: "b", Parent: "a", Time: at(2)},
		{Name: "a", Time: at(1)},
		{Name: "c1", Parent: "b", Time: at(3)},
		{Name: "orphan", Parent: "gone", Time: at(0)},
		{Name: "x", Parent: "y", Time: at(5)}, // a cycle: x <-> y
		{Name: "y", Parent: "x", Time: at(6)},
	}
	var got []string
	for _, s := range treeOrder(in) {
		got = append(got, strings.Repeat(" ", s.Depth)+s.Name)
	}
	want := []string{"orphan", "a", " b", "  c1", "  c2", "x", "y"} // a cycle lists flat
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestRevertLoses(t *testing.T) {
	s := model.VMSnapshot{Time: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), State: model.VMShutoff}
	if got := s.RevertLoses(model.VMRunning); !strings.Contains(got, "2026-11-30 10:00:00") || !strings.Contains(got, "memory") || !strings.Contains(got, "stopped") {
		t.Errorf("running VM to a shut-off snapshot: %q", got)
	}
	s.Memory, s.State = true, model.VMRunning
	if got := s.RevertLoses(model.VMShutoff); strings.Contains(got, "current memory") || !strings.Contains(got, "resumes") {
		t.Errorf("stopped VM to a running snapshot: %q", got)
	}
}

// The test driver keeps snapshots in memory: the whole cycle runs on it.
func TestSnapshotsTestDriver(t *testing.T) {
	s := newTestSource(t, "test:///default")
	sec := s.Poll(context.Background())
	m := mustFind(t, sec, "test")
	ctx := context.Background()

	checks, err := s.SnapshotChecks(ctx, m.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if !checks[0].OK() || checks[1].OK() {
		t.Fatalf("checks %+v: want internal allowed and disk-only refused on the test driver", checks)
	}
	err = s.CreateSnapshot(ctx, m.UUID, model.SnapshotDiskOnly, "refused", "")
	var se *SnapshotError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "test driver takes no disk-only") {
		t.Errorf("disk-only on the test driver: %v, want the pre-check's words", err)
	}
	for _, n := range []string{"base", "child1"} {
		if err := s.CreateSnapshot(ctx, m.UUID, model.SnapshotInternal, n, "made by "+t.Name()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevertSnapshot(ctx, m.UUID, "base"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSnapshot(ctx, m.UUID, model.SnapshotInternal, "child2", ""); err != nil {
		t.Fatal(err)
	}
	list, err := s.Snapshots(ctx, m.UUID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range list {
		mark := ""
		if x.Current {
			mark = "*"
		}
		got = append(got, strings.Repeat(" ", x.Depth)+x.Name+mark)
	}
	if want := "base, child1, child2*"; strings.Join(got, ",") != want {
		t.Errorf("tree %q, want %q", strings.Join(got, ","), want)
	}
	if list[0].Description != "made by "+t.Name() || list[0].State != model.VMRunning || list[0].Time.IsZero() || list[1].Parent != "base" {
		t.Errorf("snapshot %+v / %+v", list[0], list[1])
	}
	err = s.CreateSnapshot(ctx, m.UUID, model.SnapshotInternal, "base", "")
	if err == nil || !strings.Contains(err.Error(), "base") {
		t.Errorf("a second snapshot named base: %v, want libvirt's reason", err)
	}
	if err := s.RevertSnapshot(ctx, m.UUID, "nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("revert to a missing snapshot: %v", err)
	}
	if err := s.DeleteSnapshot(ctx, m.UUID, "base", true); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Snapshots(ctx, m.UUID); err != nil || len(list) != 0 {
		t.Errorf("after deleting base with its children: %+v, %v", list, err)
	}
}
