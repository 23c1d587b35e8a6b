package vm

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// ConsoleDevice is one text console of a domain (a serial port or a virtio
// console), as its XML describes it: what the Console button and its menu
// offer.
type ConsoleDevice struct {
	// Device is the name OpenConsole takes (libvirt's alias, "serial0",
	// "console1"); "" in a shut-off domain's XML, which has no aliases yet.
	Device string
	// Kind is "serial" for an emulated serial port, else the console's
	// target type ("virtio", "sclp", ...).
	Kind string
	// Port is the serial port or console number.
	Port int
	// Type is how the host end is connected: "pty", "file", "unix", ...
	// Only a pty can be opened as a console through libvirt.
	Type string
	// LogFile is where libvirt also writes the output ("" without one); a
	// path on the domain's host.
	LogFile string
}

// Openable reports whether libvirt can attach a console to this device.
func (c ConsoleDevice) Openable() bool { return c.Type == "pty" }

// Label names the device for a menu: "Serial port 0", "virtio console 1".
func (c ConsoleDevice) Label() string {
	if c.Kind == "serial" {
		return "Serial port " + strconv.Itoa(c.Port)
	}
	return c.Kind + " console " + strconv.Itoa(c.Port)
}

// ErrNoSerial is returned for a domain without a text console to open.
var ErrNoSerial = errors.New("it has no serial console")

// ErrConsoleBusy is returned when another client (virsh console, another
// Horcrux) holds the console; opening it with Force takes it over.
var ErrConsoleBusy = errors.New("its console is held by another client")

// ErrMustBeShutOff is returned when a change to a domain's configuration
// is refused because the domain is running.
var ErrMustBeShutOff = errors.New("it must be shut off first")

// ErrHasSerial is returned when adding a serial console to a domain that
// already has one.
var ErrHasSerial = errors.New("it already has a serial console")

// parseConsoleDevices lists a domain's text consoles in the order libvirt
// picks them: its <console> devices first (the first is what OpenConsole
// opens by default), then serial ports no console already stands for. A
// <console> whose target is a serial port is that port, not a second device.
func parseConsoleDevices(doc string) ([]ConsoleDevice, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse domain XML: %w", err)
	}
	if d.Devices == nil {
		return nil, nil
	}
	var out []ConsoleDevice
	serialSeen := map[int]bool{}
	serialOf := func(port int) *libvirtxml.DomainSerial {
		for i := range d.Devices.Serials {
			s := &d.Devices.Serials[i]
			if serialPort(s, i) == port {
				return s
			}
		}
		return nil
	}
	for i := range d.Devices.Consoles {
		c := &d.Devices.Consoles[i]
		dev := ConsoleDevice{Kind: "serial", Port: i, Type: chardevType(c.Source)}
		if c.Target != nil {
			if c.Target.Type != "" {
				dev.Kind = c.Target.Type
			}
			if c.Target.Port != nil {
				dev.Port = int(*c.Target.Port)
			}
		}
		if c.Alias != nil {
			dev.Device = c.Alias.Name
		}
		if c.Log != nil {
			dev.LogFile = c.Log.File
		}
		if dev.Kind == "serial" {
			if serialSeen[dev.Port] {
				continue
			}
			serialSeen[dev.Port] = true
			// The serial port's own element is the one that is really there.
			if s := serialOf(dev.Port); s != nil {
				dev.Type = chardevType(s.Source)
				if s.Alias != nil && s.Alias.Name != "" {
					dev.Device = s.Alias.Name
				}
				if s.Log != nil {
					dev.LogFile = s.Log.File
				}
			}
		}
		out = append(out, dev)
	}
	for i := range d.Devices.Serials {
		s := &d.Devices.Serials[i]
		port := serialPort(s, i)
		if serialSeen[port] {
			continue
		}
		serialSeen[port] = true
		dev := ConsoleDevice{Kind: "serial", Port: port, Type: chardevType(s.Source)}
		if s.Alias != nil {
			dev.Device = s.Alias.Name
		}
		if s.Log != nil {
			dev.LogFile = s.Log.File
		}
		out = append(out, dev)
	}
	return out, nil
}

// serialPort is a serial device's port; libvirt numbers unnumbered ones in order.
func serialPort(s *libvirtxml.DomainSerial, i int) int {
	if s.Target != nil && s.Target.Port != nil {
		return int(*s.Target.Port)
	}
	return i
}

// chardevType names the host end of a character device as libvirt's type attribute does.
func chardevType(s *libvirtxml.DomainChardevSource) string {
	switch {
	case s == nil:
		return "pty" // libvirt's default
	case s.Pty != nil:
		return "pty"
	case s.File != nil:
		return "file"
	case s.UNIX != nil:
		return "unix"
	case s.TCP != nil:
		return "tcp"
	case s.UDP != nil:
		return "udp"
	case s.Dev != nil:
		return "dev"
	case s.Pipe != nil:
		return "pipe"
	case s.StdIO != nil:
		return "stdio"
	case s.Null != nil:
		return "null"
	case s.VC != nil:
		return "vc"
	case s.SpicePort != nil:
		return "spiceport"
	case s.SpiceVMC != nil:
		return "spicevmc"
	case s.NMDM != nil:
		return "nmdm"
	case s.QEMUVDAgent != nil:
		return "qemu-vdagent"
	}
	return "unknown"
}

// pickConsole finds the device OpenConsole should open: the named one, or
// libvirt's default (the first console) when device is "".
func pickConsole(devs []ConsoleDevice, device string) (ConsoleDevice, error) {
	if len(devs) == 0 {
		return ConsoleDevice{}, ErrNoSerial
	}
	if device == "" {
		return devs[0], nil
	}
	for _, d := range devs {
		if d.Device == device {
			return d, nil
		}
	}
	return ConsoleDevice{}, fmt.Errorf("it has no console device %q: %w", device, ErrNoSerial)
}

// nextSerialPort is the first serial port number no serial device uses.
func nextSerialPort(doc string) (int, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return 0, fmt.Errorf("parse domain XML: %w", err)
	}
	used := map[int]bool{}
	if d.Devices != nil {
		for i := range d.Devices.Serials {
			used[serialPort(&d.Devices.Serials[i], i)] = true
		}
	}
	p := 0
	for used[p] {
		p++
	}
	return p, nil
}

// serialDeviceXML is a pty serial port on port, what virt-install gives a new VM.
func serialDeviceXML(port int) string {
	return "<serial type='pty'><target port='" + strconv.Itoa(port) + "'/></serial>"
}

// ConsoleDevices lists the text consoles of domain uuid: of the running
// domain as it runs (with device names), else of its configuration.
func (s *Source) ConsoleDevices(ctx context.Context, uuid string) ([]ConsoleDevice, error) {
	devs, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) ([]ConsoleDevice, error) {
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return nil, err
		}
		return parseConsoleDevices(doc)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list the consoles of %s: %s", s.nameOf(uuid), Message(err))
	}
	return devs, nil
}

// AddSerialConsole gives the shut-off domain uuid a serial port with a
// console (a pty, what virt-install gives a new VM) in its persistent
// configuration; it works from the domain's next start. It refuses a
// running domain (ErrMustBeShutOff) and one that already has a serial
// console (ErrHasSerial).
func (s *Source) AddSerialConsole(ctx context.Context, uuid string) error {
	name := s.nameOf(uuid)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultActTimeout)
		defer cancel()
	}
	_, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (struct{}, error) {
		if n, err := d.GetName(); err == nil {
			name = n
		}
		return struct{}{}, addSerial(d)
	})
	if err != nil {
		if errors.Is(err, ErrMustBeShutOff) || errors.Is(err, ErrHasSerial) {
			return fmt.Errorf("cannot add a serial console to %s: %w", name, err)
		}
		return fmt.Errorf("cannot add a serial console to %s: %s", name, Message(err))
	}
	s.signal() // its XML changed
	return nil
}

func addSerial(d *libvirt.Domain) error {
	if active, err := d.IsActive(); err != nil {
		return err
	} else if active {
		return fmt.Errorf("it is running; shut it down, add the console, then start it again: %w", ErrMustBeShutOff)
	}
	if persistent, err := d.IsPersistent(); err != nil {
		return err
	} else if !persistent {
		return errors.New("it is a transient domain, which has no configuration to change")
	}
	doc, err := d.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	devs, err := parseConsoleDevices(doc)
	if err != nil {
		return err
	}
	for _, c := range devs {
		if c.Openable() {
			return fmt.Errorf("%s: %w", c.Label(), ErrHasSerial)
		}
	}
	port, err := nextSerialPort(doc)
	if err != nil {
		return err
	}
	// libvirt gives the domain's first serial port a <console> of its own.
	return d.AttachDeviceFlags(serialDeviceXML(port), libvirt.DOMAIN_DEVICE_MODIFY_CONFIG)
}
