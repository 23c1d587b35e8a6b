package vm

import (
	"context"
	"strings"
	"testing"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

const detailsXML = `<domain type='kvm'>
  <name>hx-details-unit</name>
  <os firmware='efi'><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/a.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:cd'/>
      <source bridge='br0'/>
      <model type='e1000'/>
    </interface>
    <serial type='pty'><source path='/dev/pts/4'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc' port='5901' listen='0.0.0.0'/>
    <graphics type='spice' autoport='yes'/>
  </devices>
</domain>`

func TestParseDetails(t *testing.T) {
	d, err := parseDetails(detailsXML)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "hx-details-unit" || d.Firmware != "UEFI" || d.XML != detailsXML {
		t.Errorf("name %q firmware %q", d.Name, d.Firmware)
	}
	wantDisks := []model.VMDisk{
		{Target: "vda", Device: "disk", Bus: "virtio", Source: "/var/lib/libvirt/images/a.qcow2", Format: "qcow2"},
		{Target: "sda", Device: "cdrom", Bus: "sata", Source: "", Format: "raw"},
	}
	if len(d.Disks) != 2 || d.Disks[0] != wantDisks[0] || d.Disks[1] != wantDisks[1] {
		t.Errorf("disks %+v, want %+v", d.Disks, wantDisks)
	}
	wantIf := []model.VMInterface{
		{MAC: "52:54:00:aa:bb:cc", Type: "network", Source: "default", Model: "virtio"},
		{MAC: "52:54:00:aa:bb:cd", Type: "bridge", Source: "br0", Model: "e1000"},
	}
	if len(d.Interfaces) != 2 || d.Interfaces[0] != wantIf[0] || d.Interfaces[1] != wantIf[1] {
		t.Errorf("interfaces %+v", d.Interfaces)
	}
	if got := strings.Join(d.Graphics, "; "); got != "VNC on 0.0.0.0:5901; SPICE (port chosen at start)" {
		t.Errorf("graphics %q", got)
	}
	if got := strings.Join(d.Serials, "; "); got != "serial 0 (pty /dev/pts/4); console serial (pty)" {
		t.Errorf("serials %q", got)
	}
}

func TestFirmwareOf(t *testing.T) {
	for _, c := range []struct{ xml, want string }{
		{`<domain><name>a</name></domain>`, "BIOS"},
		{`<domain><name>a</name><os><type>hvm</type></os></domain>`, "BIOS"},
		{`<domain><name>a</name><os><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os></domain>`, "UEFI (/usr/share/OVMF/OVMF_CODE.fd)"},
		{`<domain><name>a</name><os firmware='bios'/></domain>`, "BIOS"},
	} {
		d, err := parseDetails(c.xml)
		if err != nil || d.Firmware != c.want {
			t.Errorf("%s: %q, %v; want %q", c.xml, d.Firmware, err, c.want)
		}
	}
}

func FuzzParseDetails(f *testing.F) {
	f.Add(detailsXML)
	f.Add(`<domain><devices><disk/><interface/><serial/><graphics/></devices></domain>`)
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := parseDetails(doc)
		if err == nil && (d.Disks == nil || d.Interfaces == nil) {
			t.Fatal("nil lists from parsed XML")
		}
	})
}

// On the test driver, the demo machine's disk has a size from block info.
func TestDetailsTestDriver(t *testing.T) {
	s := newTestSource(t, "test:///default")
	m := mustFind(t, s.Poll(context.Background()), "test")
	d, err := s.Details(context.Background(), m.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "test" || !strings.Contains(d.XML, "<domain") || len(d.Disks) == 0 {
		t.Fatalf("details %+v", d)
	}
	k := d.Disks[0]
	if k.Target == "" || k.Source == "" || k.CapacityBytes == 0 || k.SizeWhy != "" {
		t.Errorf("disk %+v: want a target, source and capacity", k)
	}
	if len(d.Interfaces) == 0 || d.Interfaces[0].MAC == "" {
		t.Errorf("interfaces %+v", d.Interfaces)
	}
}
