package vm

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestParseConsoleDevices(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []ConsoleDevice
	}{
		{"no devices", `<domain type='kvm'><name>a</name></domain>`, nil},
		{"no consoles", `<domain type='kvm'><name>a</name><devices><graphics type='vnc'/></devices></domain>`, nil},
		{"running: serial and its console share an alias", `<domain type='kvm'><name>a</name><devices>
  <serial type='pty'><source path='/dev/pts/3'/><log file='/var/log/libvirt/qemu/a-serial0.log' append='off'/>
    <target type='isa-serial' port='0'><model name='isa-serial'/></target><alias name='serial0'/></serial>
  <console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/><log file='/var/log/libvirt/qemu/a-serial0.log' append='off'/>
    <target type='serial' port='0'/><alias name='serial0'/></console></devices></domain>`,
			[]ConsoleDevice{{Device: "serial0", Kind: "serial", Port: 0, Type: "pty", LogFile: "/var/log/libvirt/qemu/a-serial0.log"}}},
		{"shut off: no aliases, type without source", `<domain type='kvm'><name>a</name><devices>
  <serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console></devices></domain>`,
			[]ConsoleDevice{{Kind: "serial", Port: 0, Type: "pty"}}},
		{"virtio console first, then a second serial port", `<domain type='kvm'><name>a</name><devices>
  <serial type='file'><source path='/tmp/s0'/><target port='0'/><alias name='serial0'/></serial>
  <serial type='pty'><target port='1'/><alias name='serial1'/></serial>
  <console type='pty'><target type='virtio' port='0'/><alias name='console0'/></console>
  <console type='pty'><target type='virtio' port='1'/><alias name='console1'/></console></devices></domain>`,
			[]ConsoleDevice{
				{Device: "console0", Kind: "virtio", Port: 0, Type: "pty"},
				{Device: "console1", Kind: "virtio", Port: 1, Type: "pty"},
				{Device: "serial0", Kind: "serial", Port: 0, Type: "file"},
				{Device: "serial1", Kind: "serial", Port: 1, Type: "pty"},
			}},
		{"console of a serial port that is a unix socket", `<domain type='kvm'><name>a</name><devices>
  <serial type='unix'><source mode='bind' path='/run/s.sock'/><target port='0'/><alias name='serial0'/></serial>
  <console type='unix'><source mode='bind' path='/run/s.sock'/><target type='serial' port='0'/><alias name='serial0'/></console></devices></domain>`,
			[]ConsoleDevice{{Device: "serial0", Kind: "serial", Port: 0, Type: "unix"}}},
		{"unnumbered serial ports", `<domain type='kvm'><name>a</name><devices>
  <serial type='pty'/><serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/></serial></devices></domain>`,
			[]ConsoleDevice{{Kind: "serial", Port: 0, Type: "pty"}, {Kind: "serial", Port: 1, Type: "tcp"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConsoleDevices(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := parseConsoleDevices("<domain><devices>"); err == nil {
		t.Error("truncated XML parsed without error")
	}
}

func TestConsoleDeviceLabelAndOpenable(t *testing.T) {
	if l := (ConsoleDevice{Kind: "serial", Port: 1}).Label(); l != "Serial port 1" {
		t.Errorf("label %q", l)
	}
	if l := (ConsoleDevice{Kind: "virtio", Port: 0}).Label(); l != "virtio console 0" {
		t.Errorf("label %q", l)
	}
	if (ConsoleDevice{Type: "file"}).Openable() || !(ConsoleDevice{Type: "pty"}).Openable() {
		t.Error("only a pty is openable")
	}
}

func TestPickConsole(t *testing.T) {
	devs := []ConsoleDevice{{Device: "console0", Kind: "virtio"}, {Device: "serial0", Kind: "serial"}}
	if d, err := pickConsole(devs, ""); err != nil || d.Device != "console0" {
		t.Errorf("default: %+v %v", d, err)
	}
	if d, err := pickConsole(devs, "serial0"); err != nil || d.Device != "serial0" {
		t.Errorf("named: %+v %v", d, err)
	}
	if _, err := pickConsole(devs, "serial7"); !errors.Is(err, ErrNoSerial) || !strings.Contains(err.Error(), `"serial7"`) {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := pickConsole(nil, ""); !errors.Is(err, ErrNoSerial) {
		t.Errorf("none: %v", err)
	}
}

func TestNextSerialPortAndDeviceXML(t *testing.T) {
	tests := []struct {
		doc  string
		want int
	}{
		{`<domain><name>a</name></domain>`, 0},
		{`<domain><devices><serial type='file'><target port='0'/></serial></devices></domain>`, 1},
		{`<domain><devices><serial type='file'><target port='1'/></serial></devices></domain>`, 0},
		{`<domain><devices><serial type='file'/><serial type='file'/></devices></domain>`, 2},
	}
	for _, tt := range tests {
		if got, err := nextSerialPort(tt.doc); err != nil || got != tt.want {
			t.Errorf("nextSerialPort(%s) = %d, %v; want %d", tt.doc, got, err, tt.want)
		}
	}
	// What AddSerialConsole attaches parses back as an openable serial port.
	devs, err := parseConsoleDevices("<domain><devices>" + serialDeviceXML(2) + "</devices></domain>")
	if err != nil || len(devs) != 1 || devs[0] != (ConsoleDevice{Kind: "serial", Port: 2, Type: "pty"}) {
		t.Errorf("serialDeviceXML(2) parses as %+v, %v", devs, err)
	}
}

func TestOpenConsoleError(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{libvirt.Error{Code: libvirt.ERR_OPERATION_FAILED, Message: "operation failed: Active console session exists for this domain"}, ErrConsoleBusy},
		{libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"}, ErrNotRunning},
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: cannot find character device serial3"}, ErrNoSerial},
	}
	for _, tt := range tests {
		if got := openConsoleError(tt.err); !errors.Is(got, tt.want) {
			t.Errorf("openConsoleError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	other := libvirt.Error{Code: libvirt.ERR_RPC, Message: "cannot write data: Broken pipe"}
	if got := openConsoleError(other); errors.Is(got, ErrConsoleBusy) || errors.Is(got, ErrNotRunning) || errors.Is(got, ErrNoSerial) {
		t.Errorf("an RPC failure classified as %v", got)
	}
}

func FuzzParseConsoleDevices(f *testing.F) {
	f.Add(`<domain><devices><serial type='pty'><target port='0'/><alias name='serial0'/></serial><console type='pty'><target type='serial' port='0'/></console></devices></domain>`)
	f.Add(`<domain><devices><console type='unix'><target type='virtio' port='4294967295'/></console><serial type='udp'/></devices></domain>`)
	f.Fuzz(func(t *testing.T, doc string) {
		devs, err := parseConsoleDevices(doc)
		if err != nil && devs != nil {
			t.Errorf("error %v and devices %+v", err, devs)
		}
		seen := map[int]bool{}
		for _, d := range devs {
			if d.Kind == "" || d.Type == "" {
				t.Errorf("device without kind or type: %+v", d)
			}
			if d.Kind == "serial" {
				if seen[d.Port] {
					t.Errorf("serial port %d listed twice: %+v", d.Port, devs)
				}
				seen[d.Port] = true
			}
		}
		if p, err := nextSerialPort(doc); err == nil && p < 0 {
			t.Errorf("next serial port %d", p)
		}
	})
}
