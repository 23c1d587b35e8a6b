package testguest

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

// The domain XML parses, and holds the devices asked for and no others.
func TestDomainXML(t *testing.T) {
	f := Files{Kernel: "/k/vmlinuz", Initrd: "/k/initrd.gz"}
	tests := []struct {
		name                   string
		o                      Options
		disks, nics, channels  int
		serials, consoles, gfx int
	}{
		{"serial only", SerialOnly("g1"), 0, 0, 1, 1, 1, 0},
		{"no serial, VNC", Options{Name: "g2", Graphics: VNC, NoSerial: true}, 0, 0, 0, 0, 0, 1},
		{"facts guest", Options{Name: "g3", Graphics: SPICE, Log: true, Agent: true, Net: true, Disk: "/d/data.qcow2", VirtioConsole: true}, 1, 1, 1, 1, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d libvirtxml.Domain
			if err := d.Unmarshal(DomainXML(f, tt.o)); err != nil {
				t.Fatalf("%v\n%s", err, DomainXML(f, tt.o))
			}
			dev := d.Devices
			if d.Name != tt.o.Name || d.OS.Kernel != f.Kernel || len(dev.Disks) != tt.disks || len(dev.Interfaces) != tt.nics ||
				len(dev.Channels) != tt.channels || len(dev.Serials) != tt.serials || len(dev.Consoles) != tt.consoles || len(dev.Graphics) != tt.gfx {
				t.Fatalf("devices: %d disks, %d NICs, %d channels, %d serials, %d consoles, %d graphics",
					len(dev.Disks), len(dev.Interfaces), len(dev.Channels), len(dev.Serials), len(dev.Consoles), len(dev.Graphics))
			}
			if tt.disks == 1 {
				disk := dev.Disks[0]
				if disk.Source.File.File != tt.o.Disk || disk.Target.Dev != "vda" || disk.Target.Bus != "virtio" || disk.Driver.Type != "qcow2" {
					t.Errorf("disk %+v", disk)
				}
			}
			if tt.nics == 1 && (dev.Interfaces[0].Source.User == nil || dev.Interfaces[0].Model.Type != "virtio") {
				t.Errorf("NIC %+v, want user-mode virtio", dev.Interfaces[0])
			}
		})
	}
}
