package vm

import (
	"context"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// parseDetails reads the devices of a domain from its XML; disk sizes are
// left for blockInfo.
func parseDetails(doc string) (model.VMDetails, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return model.VMDetails{}, fmt.Errorf("parse domain XML: %w", err)
	}
	out := model.VMDetails{Name: d.Name, Firmware: firmwareOf(d.OS), XML: doc,
		Disks: []model.VMDisk{}, Interfaces: []model.VMInterface{}, Graphics: []string{}, Serials: []string{}}
	if d.Devices == nil {
		return out, nil
	}
	for _, x := range d.Devices.Disks {
		k := model.VMDisk{Device: x.Device, Source: diskSource(x.Source)}
		if x.Target != nil {
			k.Target, k.Bus = x.Target.Dev, x.Target.Bus
		}
		if x.Driver != nil {
			k.Format = x.Driver.Type
		}
		out.Disks = append(out.Disks, k)
	}
	for _, x := range d.Devices.Interfaces {
		out.Interfaces = append(out.Interfaces, interfaceOf(x))
	}
	for _, g := range d.Devices.Graphics {
		out.Graphics = append(out.Graphics, graphicsWords(g))
	}
	for _, s := range d.Devices.Serials {
		out.Serials = append(out.Serials, charWords("serial", s.Target != nil && s.Target.Port != nil, portOf(s.Target), s.Source))
	}
	for _, c := range d.Devices.Consoles {
		kind := "console"
		if c.Target != nil && c.Target.Type != "" {
			kind += " " + c.Target.Type
		}
		out.Serials = append(out.Serials, charWords(kind, false, 0, c.Source))
	}
	return out, nil
}

// diskSource is where a disk's data is, "" for an empty drive.
func diskSource(s *libvirtxml.DomainDiskSource) string {
	if s == nil || (s.File != nil && s.File.File == "") {
		return ""
	}
	if w := diskWhere(s); w != "no source" {
		return w
	}
	return ""
}

func portOf(t *libvirtxml.DomainSerialTarget) uint {
	if t == nil || t.Port == nil {
		return 0
	}
	return *t.Port
}

// firmwareOf names the firmware: UEFI when libvirt picks or loads it, else BIOS.
func firmwareOf(os *libvirtxml.DomainOS) string {
	if os == nil {
		return "BIOS"
	}
	if os.Firmware == "efi" {
		return "UEFI"
	}
	if os.Loader != nil && os.Loader.Path != "" {
		if os.Loader.Type == "pflash" {
			return "UEFI (" + os.Loader.Path + ")"
		}
		return os.Loader.Path
	}
	if os.Firmware != "" {
		return strings.ToUpper(os.Firmware)
	}
	return "BIOS"
}

func interfaceOf(x libvirtxml.DomainInterface) model.VMInterface {
	var i model.VMInterface
	if x.MAC != nil {
		i.MAC = x.MAC.Address
	}
	if x.Model != nil {
		i.Model = x.Model.Type
	}
	if s := x.Source; s != nil {
		switch {
		case s.Network != nil:
			i.Type, i.Source = "network", s.Network.Network
		case s.Bridge != nil:
			i.Type, i.Source = "bridge", s.Bridge.Bridge
		case s.User != nil:
			i.Type = "user"
		case s.Direct != nil:
			i.Type, i.Source = "direct", s.Direct.Dev
		case s.Ethernet != nil:
			i.Type = "ethernet"
		default:
			i.Type = "other"
		}
	}
	return i
}

func graphicsWords(g libvirtxml.DomainGraphic) string {
	where := func(listen string, port, auto int) string {
		if listen == "" {
			listen = "127.0.0.1"
		}
		if port > 0 {
			return fmt.Sprintf(" on %s:%d", listen, port)
		}
		if auto > 0 || port < 0 {
			return " (port chosen at start)"
		}
		return ""
	}
	switch {
	case g.VNC != nil:
		return "VNC" + where(g.VNC.Listen, g.VNC.Port, boolN(g.VNC.AutoPort == "yes"))
	case g.Spice != nil:
		return "SPICE" + where(g.Spice.Listen, g.Spice.Port, boolN(g.Spice.AutoPort == "yes"))
	case g.SDL != nil:
		return "SDL"
	case g.RDP != nil:
		return "RDP"
	case g.EGLHeadless != nil:
		return "EGL headless"
	}
	return "other graphics"
}

func boolN(b bool) int {
	if b {
		return 1
	}
	return 0
}

// charWords describes a serial port or console and where it goes.
func charWords(kind string, numbered bool, port uint, src *libvirtxml.DomainChardevSource) string {
	s := kind
	if numbered {
		s += fmt.Sprintf(" %d", port)
	}
	switch {
	case src == nil:
	case src.Pty != nil:
		s += " (pty"
		if src.Pty.Path != "" {
			s += " " + src.Pty.Path
		}
		s += ")"
	case src.UNIX != nil:
		s += " (socket " + src.UNIX.Path + ")"
	case src.File != nil:
		s += " (file " + src.File.Path + ")"
	case src.TCP != nil:
		s += " (tcp " + src.TCP.Host + ":" + src.TCP.Service + ")"
	}
	return s
}

// Details reads the machine's devices, firmware and XML, with each disk's
// capacity and allocation (GetBlockInfo); a disk whose sizes cannot be read
// says why instead.
func (s *Source) Details(ctx context.Context, uuid string) (model.VMDetails, error) {
	return onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (model.VMDetails, error) {
		name, _ := d.GetName()
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return model.VMDetails{}, fmt.Errorf("cannot read the XML of %s: %s", name, Message(err))
		}
		out, err := parseDetails(doc)
		if err != nil {
			return model.VMDetails{}, fmt.Errorf("cannot show the details of %s: %w", name, err)
		}
		for i := range out.Disks {
			k := &out.Disks[i]
			if k.Source == "" {
				k.SizeWhy = "no medium"
				continue
			}
			bi, err := d.GetBlockInfo(k.Target, 0)
			if err != nil {
				k.SizeWhy = "size unknown: " + Message(err)
				continue
			}
			k.CapacityBytes, k.AllocationBytes = bi.Capacity, bi.Allocation
		}
		return out, nil
	})
}
