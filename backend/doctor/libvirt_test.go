package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// libvirtdRunning reports whether the system libvirtd runs, as
// scripts/libvirtd.sh sees it: its pid file names a live libvirtd.
func libvirtdRunning() bool {
	pid, err := os.ReadFile("/run/libvirtd.pid")
	if err != nil {
		return false
	}
	comm, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "libvirtd"
}

// startFix is the fix for a stopped local daemon.
const startFix = "sudo systemctl start libvirtd"

func TestLibvirtDaemonStopped(t *testing.T) {
	// Other packages start, stop and kill the same system libvirtd.
	testlock.Hold(t, "libvirtd")
	c := newChecker(Config{})
	if _, ok := c.libvirtLibrary(context.Background()); !ok {
		t.Skip("libvirt is not installed here; TestLibvirtNotInstalled covers that")
	}
	if !c.libvirtDaemonInstalled("qemu:///system") {
		t.Skip("no libvirtd installed: a missing daemon is reported as not installed")
	}
	t.Run("qemu:///system", func(t *testing.T) {
		if libvirtdRunning() {
			t.Skip("libvirtd is running (not started by this test, so it is left alone); stop it with scripts/libvirtd.sh stop to run this")
		}
		rs := Run(context.Background(), Config{URIs: []string{"qemu:///system"}, Env: envOf("PATH", os.Getenv("PATH"))})
		expect(t, find(t, rs, "libvirt connection qemu:///system"), StatusFailed,
			[]string{"not running", "Failed to connect socket"}, []string{startFix, "virtqemud.socket"})
		expect(t, find(t, rs, checkLibvirtLib), StatusOK, []string{"libvirt "}, nil)
	})
	t.Run("socket that does not exist", func(t *testing.T) {
		const uri = "qemu+unix:///system?socket=/nonexistent/sock"
		rs := Run(context.Background(), Config{URIs: []string{uri}})
		expect(t, find(t, rs, "libvirt connection "+uri), StatusFailed,
			[]string{"not running", "/nonexistent/sock"}, []string{startFix})
		for _, r := range rs {
			if strings.HasPrefix(r.Check, "VM console") {
				t.Errorf("console checked on an unreachable URI: %+v", r)
			}
		}
	})
	t.Run("socket nobody listens on", func(t *testing.T) {
		// A socket file left behind by a daemon that died: connection refused.
		sock := filepath.Join(t.TempDir(), "libvirt-sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		_ = ln.Close()
		uri := "qemu+unix:///system?socket=" + sock
		rs := Run(context.Background(), Config{URIs: []string{uri}})
		expect(t, find(t, rs, "libvirt connection "+uri), StatusFailed, []string{"not running"}, []string{startFix})
	})
}

func TestLibvirtStatusRules(t *testing.T) {
	const a = "qemu+unix:///system?socket=/nonexistent/a"
	const b = "qemu+unix:///session?socket=/nonexistent/b"
	empty := t.TempDir()
	tests := []struct {
		name       string
		uris       []string
		explicit   bool
		noDaemon   bool
		wantStatus []Status
		wantDetail []string
		wantFix    string
	}{
		{"fallback failing is only a warning", []string{a, b}, false, false,
			[]Status{StatusFailed, StatusWarning}, []string{"not running", "only a fallback"}, "libvirt"},
		{"named URIs are all needed", []string{a, b}, true, false,
			[]Status{StatusFailed, StatusFailed}, []string{"not running", "not running"}, "libvirt"},
		{"no daemon installed, default URI", []string{a}, false, true,
			[]Status{StatusWarning}, []string{"not installed"}, installLibvirt},
		{"no daemon installed, named URI", []string{a}, true, true,
			[]Status{StatusFailed}, []string{"not installed"}, installLibvirt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(Config{})
			c.uris = nil
			for i, uri := range tt.uris {
				t := uriTarget{uri: uri, explicit: tt.explicit}
				if i > 0 {
					t.primary = tt.uris[0]
				}
				c.uris = append(c.uris, t)
			}
			if tt.noDaemon {
				c.env = envOf("PATH", empty)
				c.daemonDirs = []string{empty}
			}
			conns, consoles := c.libvirt(context.Background())
			if conns[0].Status != StatusOK {
				t.Skip("libvirt library not loadable here:", conns[0].Detail)
			}
			if len(conns) != len(tt.uris)+1 || len(consoles) != 0 {
				t.Fatalf("results %s", dump(append(conns, consoles...)))
			}
			for i, r := range conns[1:] {
				expect(t, r, tt.wantStatus[i], []string{tt.wantDetail[i]}, []string{tt.wantFix})
			}
		})
	}
}

// TestLibvirtHung: a "daemon" that accepts and never answers must not hang
// the doctor; the call is abandoned at the timeout.
func TestLibvirtHung(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung-sock")
	hungSocket(t, sock)
	uri := "qemu+unix:///system?socket=" + sock
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // upper bound only
	defer cancel()
	rs := Run(ctx, Config{URIs: []string{uri}, Timeout: 500 * time.Millisecond})
	r := find(t, rs, checkLibvirtLib)
	if r.Status != StatusOK {
		t.Skip("libvirt library not loadable here:", r.Detail)
	}
	expect(t, find(t, rs, "libvirt connection "+uri), StatusFailed,
		[]string{"did not answer within 500ms", "hung"}, []string{"sudo systemctl restart libvirtd"})
}

func TestLibvirtTestDriverDefault(t *testing.T) {
	rs := Run(context.Background(), Config{URIs: []string{"test:///default"}})
	if r := find(t, rs, checkLibvirtLib); r.Status != StatusOK {
		t.Skip("libvirt library not loadable here:", r.Detail)
	}
	expect(t, find(t, rs, "libvirt connection test:///default"), StatusOK, []string{"connected to libvirt", "1 VM running, 0 shut off"}, nil)
	expect(t, find(t, rs, "VM console test (test:///default)"), StatusWarning,
		[]string{"has no display"}, []string{"virsh -c test:///default edit test", "<graphics type='vnc'", "virsh -c test:///default console test"})
}

// TestLibvirtTestDriverConsoles runs the console checks on test-driver
// domains whose fixed VNC ports lead to real listeners of this test.
func TestLibvirtTestDriverConsoles(t *testing.T) {
	vnc := serveTCP(t, writes("RFB 003.008\n"))
	httpd := serveTCP(t, writes("HTTP/1.0 200 OK\r\n"))
	closed := closedPort(t)
	port := func(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
	domain := func(name, graphics string, running bool) string {
		state := ""
		if !running {
			state = "<test:runstate>5</test:runstate>"
		}
		return fmt.Sprintf(`<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>%s</name>
<memory>65536</memory><os><type>hvm</type></os><devices>%s</devices>%s</domain>`, name, graphics, state)
	}
	node := "<node>" +
		domain("vnc-ok", "<graphics type='vnc' port='"+port(vnc)+"' autoport='no' listen='127.0.0.1'/>", true) +
		domain("vnc-wildcard", "<graphics type='vnc' port='"+port(vnc)+"' autoport='no' listen='0.0.0.0'/>", true) +
		domain("vnc-listen-element", "<graphics type='vnc' port='"+port(vnc)+"' autoport='no'><listen type='address' address='127.0.0.1'/></graphics>", true) +
		domain("vnc-http", "<graphics type='vnc' port='"+port(httpd)+"' autoport='no' listen='127.0.0.1'/>", true) +
		domain("vnc-closed", "<graphics type='vnc' port='"+port(closed)+"' autoport='no' listen='127.0.0.1'/>", true) +
		domain("spice-only", "<graphics type='spice' port='5999' autoport='no'/>", true) +
		domain("no-graphics", "", true) +
		domain("stopped-vnc", "<graphics type='vnc' port='"+port(closed)+"' autoport='no'/>", false) +
		"</node>"
	path := filepath.Join(t.TempDir(), "node.xml")
	if err := os.WriteFile(path, []byte(node), 0o644); err != nil {
		t.Fatal(err)
	}
	uri := "test://" + path
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // upper bound only
	defer cancel()
	rs := Run(ctx, Config{URIs: []string{uri}, Timeout: 20 * time.Second})
	if r := find(t, rs, checkLibvirtLib); r.Status != StatusOK {
		t.Skip("libvirt library not loadable here:", r.Detail)
	}
	t.Log(dump(rs))
	expect(t, find(t, rs, "libvirt connection "+uri), StatusOK, []string{"7 VMs running, 1 shut off"}, nil)
	console := func(name string) Result { return find(t, rs, "VM console "+name+" ("+uri+")") }
	expect(t, console("vnc-ok"), StatusOK, []string{"VNC on " + vnc + " answers: RFB 003.008"}, nil)
	expect(t, console("vnc-wildcard"), StatusOK, []string{"VNC on 127.0.0.1:" + port(vnc) + " answers"}, nil)
	expect(t, console("vnc-listen-element"), StatusOK, []string{"answers: RFB 003.008"}, nil)
	expect(t, console("vnc-http"), StatusFailed, []string{"answers but is not a VNC server", `"HTTP/1.0 200"`}, []string{"ss -ltnp 'sport = :" + port(httpd) + "'"})
	expect(t, console("vnc-closed"), StatusFailed, []string{"nothing listens there"}, []string{"domdisplay vnc-closed"})
	expect(t, console("spice-only"), StatusWarning, []string{"console needs VNC; this VM has SPICE only"},
		[]string{"add a VNC graphics device with virt-manager or `virsh -c " + uri + " edit spice-only`"})
	expect(t, console("no-graphics"), StatusWarning, []string{"has no display"}, []string{"add a VNC graphics device"})
	for _, r := range rs {
		if strings.Contains(r.Check, "stopped-vnc") {
			t.Errorf("a shut-off VM was checked: %+v", r)
		}
	}
	// Consoles come sorted by name, after every connection check.
	var names []string
	for _, r := range rs {
		if strings.HasPrefix(r.Check, "VM console ") {
			names = append(names, strings.Fields(r.Check)[2])
		}
	}
	want := []string{"no-graphics", "spice-only", "vnc-closed", "vnc-http", "vnc-listen-element", "vnc-ok", "vnc-wildcard"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("console order %q, want %q", names, want)
	}
}

func TestPlanConsole(t *testing.T) {
	const uri = "qemu+ssh://admin@vmhost/system"
	dom := func(g string) string {
		return "<domain type='kvm'><name>web 1</name><devices>" + g + "</devices></domain>"
	}
	tests := []struct {
		name    string
		xml     string
		remote  string
		network string
		addr    string
		status  Status
		detail  string
	}{
		{"default listen is loopback", dom("<graphics type='vnc' port='5901'/>"), "", "tcp", "127.0.0.1:5901", "", ""},
		{"IPv6 wildcard", dom("<graphics type='vnc' port='5901' listen='::'/>"), "", "tcp", "[::1]:5901", "", ""},
		{"unix socket", dom("<graphics type='vnc'><listen type='socket' socket='/run/vnc.sock'/></graphics>"), "", "unix", "/run/vnc.sock", "", ""},
		{"no port yet", dom("<graphics type='vnc' port='-1' autoport='yes'/>"), "", "", "", StatusWarning, "no port assigned"},
		{"VNC wins over SPICE", dom("<graphics type='spice' port='5930'/><graphics type='vnc' port='5902' listen='127.0.0.1'/>"), "", "tcp", "127.0.0.1:5902", "", ""},
		{"SPICE and SDL", dom("<graphics type='spice'/><graphics type='sdl'/>"), "", "", "", StatusWarning, "this VM has SPICE and SDL graphics only"},
		{"remote wildcard dials the host", dom("<graphics type='vnc' port='5901' listen='0.0.0.0'/>"), "vmhost", "tcp", "vmhost:5901", "", ""},
		{"remote loopback is out of reach", dom("<graphics type='vnc' port='5901' listen='127.0.0.1'/>"), "vmhost", "", "", StatusWarning, "of vmhost, which is not reachable from here"},
		{"remote default listen too", dom("<graphics type='vnc' port='5901'/>"), "vmhost", "", "", StatusWarning, "not reachable from here"},
		{"remote explicit address", dom("<graphics type='vnc' port='5901' listen='192.0.2.7'/>"), "vmhost", "tcp", "192.0.2.7:5901", "", ""},
		{"XML that does not parse", "<domain", "", "", "", StatusWarning, "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planConsole(tt.xml, uri, "web 1", tt.remote)
			if p.network != tt.network || p.addr != tt.addr || p.status != tt.status || !strings.Contains(p.detail, tt.detail) {
				t.Errorf("plan %+v; want %s %s %s %q", p, tt.network, tt.addr, tt.status, tt.detail)
			}
			if p.status != "" && !strings.Contains(p.fix, "'web 1'") && tt.name != "remote loopback is out of reach" && tt.name != "remote default listen too" {
				t.Errorf("fix %q does not quote the VM name", p.fix)
			}
		})
	}
}

func TestLocalURI(t *testing.T) {
	tests := []struct {
		uri   string
		local bool
		host  string
	}{
		{"qemu:///system", true, ""},
		{"qemu+unix:///system?socket=/x", true, ""},
		{"test:///default", true, ""},
		{"qemu+ssh://root@h1/system", false, "h1"},
		{"qemu+tcp://h2:16509/system", false, "h2"},
	}
	for _, tt := range tests {
		local, host := localURI(tt.uri)
		if local != tt.local || host != tt.host {
			t.Errorf("localURI(%q) = %v %q", tt.uri, local, host)
		}
	}
}

// TestLibvirtNotInstalled runs the libvirt checks again in a private mount
// namespace where libvirt.so.0 is an empty file, as without libvirt.
func TestLibvirtNotInstalled(t *testing.T) {
	const lib = "/usr/lib/x86_64-linux-gnu/libvirt.so.0"
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) to hide libvirt.so.0 in a mount namespace")
	}
	if _, err := os.Stat(lib); err != nil {
		t.Skip("no " + lib + " to hide")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrap := []string{unshare, "--mount", "sh", "-c", `mount --bind /dev/null "$0" && exec "$@"`, lib}
	t.Run("default URIs: warning", func(t *testing.T) {
		cmd := helperCmd(t, bin, "libvirt", "", wrap...)
		cmd.Env = append(cmd.Env, "LIBVIRT_DEFAULT_URI=")
		rs := runHelperCmd(t, cmd)
		expect(t, find(t, rs, checkLibvirtLib), StatusWarning, []string{"libvirt is not installed", "libvirt.so.0", "VM list is disabled"}, []string{installLibvirt})
		expect(t, find(t, rs, "libvirt connection qemu:///system"), StatusWarning, []string{"not checked"}, []string{installLibvirt})
	})
	t.Run("named URI: failed", func(t *testing.T) {
		rs := runHelperCmd(t, helperCmd(t, bin, "libvirt", "qemu:///system", wrap...))
		expect(t, find(t, rs, checkLibvirtLib), StatusFailed, []string{"libvirt is not installed"}, []string{installLibvirt})
		expect(t, find(t, rs, "libvirt connection qemu:///system"), StatusFailed, []string{"not checked"}, []string{installLibvirt})
	})
}

func TestClassifyLibvirt(t *testing.T) {
	tests := []struct {
		err  error
		want libvirtProblem
	}{
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "Failed to open libvirt.so.0: libvirt.so.0: cannot open shared object file"}, lvNotInstalled},
		{libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Message: "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied"}, lvPermission},
		{libvirt.Error{Code: libvirt.ERR_AUTH_UNAVAILABLE, Message: "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"}, lvPermission},
		{libvirt.Error{Code: libvirt.ERR_ACCESS_DENIED, Message: "access denied"}, lvPermission},
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: Unable to get system bus connection: Could not connect: No such file or directory"}, lvPolkitDown},
		{libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Message: "Failed to connect socket to '/var/run/libvirt/virtqemud-sock': No such file or directory"}, lvDaemonDown},
		{libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Message: "Failed to connect socket to '/x': Connection refused"}, lvDaemonDown},
		{libvirt.Error{Code: libvirt.ERR_NO_CONNECT, Message: "no connection driver available for qemu:///system"}, lvNoDriver},
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "something else"}, lvOther},
		{errors.New("plain error"), lvOther},
	}
	for _, tt := range tests {
		if got := classifyLibvirt(tt.err); got != tt.want {
			t.Errorf("classifyLibvirt(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
