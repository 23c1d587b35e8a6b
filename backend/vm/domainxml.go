package vm

import (
	"fmt"
	"math"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// domainInfo is what the list needs from a domain's XML. Fetching XML is one
// round trip per domain, so it is cached and refreshed only on events.
type domainInfo struct {
	vnc, spice  bool // graphics devices
	serial      bool // a serial port or text console
	agent       bool // has a virtio channel for the QEMU guest agent
	vcpus       int
	memoryBytes uint64
}

// parseDomainXML reads a domain description as libvirt's dumpxml prints it.
func parseDomainXML(doc string) (domainInfo, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return domainInfo{}, fmt.Errorf("parse domain XML: %w", err)
	}
	var info domainInfo
	if d.Devices != nil {
		for _, g := range d.Devices.Graphics {
			info.vnc = info.vnc || g.VNC != nil
			info.spice = info.spice || g.Spice != nil
		}
		info.serial = len(d.Devices.Serials) > 0 || len(d.Devices.Consoles) > 0
	}
	if d.Devices != nil {
		for _, c := range d.Devices.Channels {
			if c.Target != nil && c.Target.VirtIO != nil && c.Target.VirtIO.Name == "org.qemu.guest_agent.0" {
				info.agent = true
				break
			}
		}
	}
	if d.VCPU != nil {
		info.vcpus = int(d.VCPU.Value)
		if d.VCPU.Current > 0 && d.VCPU.Current < d.VCPU.Value {
			info.vcpus = int(d.VCPU.Current)
		}
	}
	switch {
	case d.CurrentMemory != nil:
		info.memoryBytes = toBytes(uint64(d.CurrentMemory.Value), d.CurrentMemory.Unit)
	case d.Memory != nil:
		info.memoryBytes = toBytes(uint64(d.Memory.Value), d.Memory.Unit)
	}
	return info, nil
}

// toBytes converts a libvirt memory amount; libvirt's default unit is KiB.
func toBytes(v uint64, unit string) uint64 {
	var mul uint64
	switch strings.ToLower(unit) {
	case "b", "bytes":
		mul = 1
	case "kb":
		mul = 1000
	case "", "k", "kib":
		mul = 1 << 10
	case "mb":
		mul = 1000 * 1000
	case "m", "mib":
		mul = 1 << 20
	case "gb":
		mul = 1000 * 1000 * 1000
	case "g", "gib":
		mul = 1 << 30
	case "tb":
		mul = 1000 * 1000 * 1000 * 1000
	case "t", "tib":
		mul = 1 << 40
	default:
		return 0 // unknown unit: report nothing rather than a wrong size
	}
	if v > math.MaxUint64/mul {
		return math.MaxUint64
	}
	return v * mul
}
