// Package testguest boots the project's small Linux test guest (Debian's
// own kernel and a busybox initramfs, built by scripts/testguest.sh) as
// libvirt domains, for integration tests: a shell on the serial port and
// one on the screen, and qemu-ga on the guest agent channel.
package testguest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"
)

// Dir is where the guest is built and cached: QEMU runs as libvirt-qemu
// and must read it, which a test's 0700 TempDir does not allow.
const Dir = "/var/tmp/horcrux-testguest"

// Banner is what the guest's /init prints on the serial port and the
// screen before it starts the shells.
const Banner = "HORCRUX-TESTGUEST-BOOTED"

// Prompt is the shell prompt on the serial port (the screen's says tty1).
const Prompt = "hx-guest:ttyS0# "

// VirtioPrompt is the shell prompt on the virtio console.
const VirtioPrompt = "hx-guest:hvc0# "

// The guest's own words, as its agent reports them.
const (
	OSName    = "Horcrux test guest" // os-release NAME
	OSVersion = "1"                  // os-release VERSION_ID
	Hostname  = "hx-testguest"
	// DataMount is where the guest mounts its disk (Options.Disk).
	DataMount = "/data"
	// UserNetIP is the address QEMU's user-mode DHCP gives (Options.Net).
	UserNetIP = "10.0.2.15"
)

// StopAgent is a shell command line that stops qemu-ga in the guest and
// keeps it stopped; StartAgent lets it run again (within about 1 s).
const (
	StopAgent  = "touch /run/agent.off; killall qemu-ga"
	StartAgent = "rm -f /run/agent.off"
)

// Files are the kernel and initramfs the guest boots.
type Files struct{ Kernel, Initrd string }

// Build builds the guest under Dir (cached by content: milliseconds when
// it is up to date) and returns its files. It fails the test when the
// Debian packages it needs are missing, naming them.
func Build(t testing.TB) Files {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testguest.sh")
	var stderr strings.Builder
	cmd := exec.Command("sh", script, Dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build the test guest (scripts/testguest.sh %s): %v\n%s%s", Dir, err, out, stderr.String())
	}
	paths := strings.Fields(string(out))
	if len(paths) != 2 {
		t.Fatalf("scripts/testguest.sh %s printed %q, want the kernel's and the initramfs's paths", Dir, out)
	}
	return Files{Kernel: paths[0], Initrd: paths[1]}
}

// Graphics is the guest's display.
type Graphics int

// The displays a guest can have.
const (
	NoGraphics Graphics = iota
	VNC
	SPICE
)

// Options describe one test guest domain.
type Options struct {
	Name     string
	Graphics Graphics
	// NoSerial leaves out the serial port and its console.
	NoSerial bool
	// Log has libvirt also write the serial output to LogPath.
	Log bool
	// VirtioConsole adds a virtio console (the guest's hvc0, with a shell;
	// libvirt names it console1). Under TCG it is slower than the serial
	// port: seq 1 20000 takes the guest ~9 s there against ~2 s on ttyS0.
	VirtioConsole bool
	// Agent adds the virtio-serial channel org.qemu.guest_agent.0.
	Agent bool
	// Net adds a user-mode virtio network card; the guest takes 10.0.2.15
	// from QEMU's DHCP, which its agent then reports.
	Net bool
	// Disk is a qcow2 image (NewDisk) the guest sees as vda and mounts at
	// DataMount, formatting it ext2 at its first boot.
	Disk string
	// MemoryMiB defaults to 192.
	MemoryMiB int
}

// VNCSerial is a guest with a VNC display, a serial console with a log
// file, and the guest agent.
func VNCSerial(name string) Options {
	return Options{Name: name, Graphics: VNC, Log: true, Agent: true}
}

// SPICESerial is a guest with a SPICE display, a serial console with a log
// file, and the guest agent.
func SPICESerial(name string) Options {
	return Options{Name: name, Graphics: SPICE, Log: true, Agent: true}
}

// SerialOnly is a guest with no display, only a serial console (logged)
// and the guest agent.
func SerialOnly(name string) Options {
	return Options{Name: name, Log: true, Agent: true}
}

// LogPath is where libvirt writes the serial output when Log is set.
func (o Options) LogPath() string {
	return "/var/log/libvirt/qemu/" + o.Name + "-serial0.log"
}

// DomainXML is the domain for o: TCG (no KVM needed), direct kernel boot
// with the console on the screen and the serial port. The port runs at
// 115200 baud: at the kernel's default 9600, QEMU's receive FIFO holds a
// typed key for 4 character times (4 ms) before the guest sees it.
func DomainXML(f Files, o Options) string {
	mem := o.MemoryMiB
	if mem <= 0 {
		mem = 192
	}
	var b strings.Builder
	b.WriteString("<domain type='qemu'><name>" + o.Name + "</name>")
	b.WriteString("<memory unit='MiB'>" + strconv.Itoa(mem) + "</memory><vcpu>1</vcpu>")
	b.WriteString("<os><type arch='x86_64' machine='pc'>hvm</type>")
	b.WriteString("<kernel>" + f.Kernel + "</kernel><initrd>" + f.Initrd + "</initrd>")
	b.WriteString("<cmdline>console=tty0 console=ttyS0,115200 panic=-1</cmdline></os>")
	b.WriteString("<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>")
	b.WriteString("<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>")
	if !o.NoSerial {
		b.WriteString("<serial type='pty'>")
		if o.Log {
			b.WriteString("<log file='" + o.LogPath() + "' append='off'/>")
		}
		b.WriteString("<target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>")
	}
	if o.VirtioConsole {
		b.WriteString("<console type='pty'><target type='virtio' port='1'/></console>")
	}
	if o.Agent {
		b.WriteString("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
	}
	if o.Net {
		b.WriteString("<interface type='user'><model type='virtio'/></interface>")
	}
	if o.Disk != "" {
		b.WriteString("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + o.Disk +
			"'/><target dev='vda' bus='virtio'/></disk>")
	}
	switch o.Graphics {
	case VNC:
		b.WriteString("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video>")
	case SPICE:
		b.WriteString("<graphics type='spice' autoport='yes' listen='127.0.0.1'/><video><model type='qxl'/></video>")
	}
	b.WriteString("</devices></domain>")
	return b.String()
}

// NewDisk makes an empty 16 MiB qcow2 image for Options.Disk with qemu-img,
// in a directory QEMU (another user) can enter, removed when the test ends
// (call it before Start, so the domain goes first).
func NewDisk(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatal("qemu-img is missing: apt-get install qemu-utils")
	}
	dir, err := os.MkdirTemp("", "hx-guestdisk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "data.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create %s: %v\n%s", disk, err, out)
	}
	return disk
}

// Name returns prefix followed by 8 random hex digits, a domain name no
// other test run uses.
func Name(prefix string) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return prefix + hex.EncodeToString(r[:])
}

// Define defines the guest on conn and removes it when the test ends
// (destroyed, undefined, its log file deleted).
func Define(t testing.TB, conn *libvirt.Connect, f Files, o Options) *libvirt.Domain {
	t.Helper()
	d, err := conn.DomainDefineXML(DomainXML(f, o))
	if err != nil {
		t.Fatalf("define test guest %s: %v", o.Name, err)
	}
	t.Cleanup(func() {
		remove(t, d, o.Name)
		if o.Log {
			_ = os.Remove(o.LogPath())
		}
	})
	return d
}

// Start defines and starts the guest. Under TCG it reaches the serial
// shell prompt 6-7 s after start on an idle 2-core machine, up to 20 s on
// a busy one (kernel messages from ~0.3 s); see WaitForLog.
func Start(t testing.TB, conn *libvirt.Connect, f Files, o Options) *libvirt.Domain {
	t.Helper()
	d := Define(t, conn, f, o)
	if err := d.Create(); err != nil {
		t.Fatalf("start test guest %s: %v", o.Name, err)
	}
	return d
}

// RemoveLeftovers removes the domains whose names start with prefix, left
// by an interrupted run.
func RemoveLeftovers(t testing.TB, conn *libvirt.Connect, prefix string) {
	t.Helper()
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		t.Fatalf("list domains: %v", err)
	}
	for i := range doms {
		d := &doms[i]
		if n, err := d.GetName(); err == nil && strings.HasPrefix(n, prefix) {
			remove(t, d, n)
			_ = os.Remove("/var/log/libvirt/qemu/" + n + "-serial0.log")
		}
		_ = d.Free()
	}
}

func remove(t testing.TB, d *libvirt.Domain, name string) {
	if active, _ := d.IsActive(); active {
		if err := d.Destroy(); err != nil {
			t.Errorf("cleanup: destroy %s: %v", name, err)
		}
	}
	if err := d.Undefine(); err != nil {
		t.Errorf("cleanup: undefine %s: %v", name, err)
	}
}

// WaitForLog waits until the guest's serial log holds want, and fails the
// test after timeout. The guest needs Log.
func WaitForLog(t testing.TB, o Options, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(o.LogPath())
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q not in %s after %s; its tail:\n%s", o.Name, want, o.LogPath(), timeout, tail(b, 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
