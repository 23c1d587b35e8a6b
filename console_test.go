package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"libvirt.org/go/libvirt"

	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
	"github.com/horcrux-desktop/horcrux/internal/sshtest"
	"github.com/horcrux-desktop/horcrux/internal/testguest"
	"github.com/horcrux-desktop/horcrux/novncassets"

	"github.com/horcrux-desktop/horcrux/internal/testlock"
)

// e2eGuest is a diskless QEMU guest: SeaBIOS says "No bootable device" on
// a real VNC display. Both test guests take the same fixed port, so the
// second one starts where the first one's console was.
const e2eGuest = `<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
 <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
 <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
  <graphics type='vnc' port='5987' autoport='no' listen='127.0.0.1'/><video><model type='vga'/></video></devices></domain>`

// defineGuest defines a test guest and removes it when the test ends.
func defineGuest(t *testing.T, name string) {
	t.Helper()
	xml := filepath.Join(t.TempDir(), name+".xml")
	if err := os.WriteFile(xml, []byte(fmt.Sprintf(e2eGuest, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	virsh(t, "define", xml)
	t.Cleanup(func() {
		exec.Command("virsh", "-c", "qemu:///system", "destroy", name).Run()
		exec.Command("virsh", "-c", "qemu:///system", "undefine", name).Run()
	})
}

func virsh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// startLibvirtd starts the system libvirtd for the test, and stops it after
// if it was not running before.
func startLibvirtd(t testing.TB) {
	t.Helper()
	// Other packages start, stop and kill the same system libvirtd.
	testlock.Hold(t, "libvirtd")
	if os.Geteuid() != 0 {
		t.Fatal("the console end-to-end test starts libvirtd and needs root")
	}
	wasRunning := exec.Command("scripts/libvirtd.sh", "status").Run() == nil
	if out, err := exec.Command("scripts/libvirtd.sh", "start").CombinedOutput(); err != nil {
		t.Fatalf("starting libvirtd: %v\n%s", err, out)
	}
	if !wasRunning {
		t.Cleanup(func() { exec.Command("scripts/libvirtd.sh", "stop").Run() })
	}
}

// TestConsoleOfARealGuest runs `horcrux console --print-url` against a real
// libvirtd and QEMU guest and loads the page in headless Chromium.
func TestConsoleOfARealGuest(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to run against libvirtd, QEMU and Chromium")
	}
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
	startLibvirtd(t)
	name := fmt.Sprintf("horcrux-e2e-console-%d", os.Getpid())
	other := name + "-other"
	defineGuest(t, name)
	defineGuest(t, other)
	virsh(t, "start", name)

	bin := buildBinary(t)
	cmd := exec.Command(bin, "console", "--connect", "qemu:///system", "--print-url", name)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			urls <- sc.Text()
		}
		close(urls)
	}()
	var pageURL string
	select {
	case pageURL = <-urls:
	case <-time.After(60 * time.Second):
		t.Fatalf("no URL printed; horcrux said:\n%s", stderr.String())
	}
	if !strings.HasPrefix(pageURL, "http://127.0.0.1:") || !strings.Contains(pageURL, "/console/#t=") {
		t.Fatalf("printed %q; horcrux said:\n%s", pageURL, stderr.String())
	}

	// The page connects through the proxy and shows the guest's SeaBIOS screen.
	browser := bt.Start(t)
	page := bt.NewTab(t, browser)
	page.Do(t, chromedp.Navigate(pageURL))
	page.WaitFor(t, 20*time.Second, bt.JSConnected)
	page.WaitFor(t, 20*time.Second, bt.JSPainted)
	if title := bt.Eval[string](t, page, `document.title`); !strings.Contains(title, name) {
		t.Errorf("page title %q does not name the VM", title)
	}

	// The same link a second time is refused, in words.
	second := bt.NewTab(t, browser)
	second.Do(t, chromedp.Navigate(pageURL))
	second.WaitFor(t, 10*time.Second, bt.JSState+` === 'error'`)
	if msg := bt.Eval[string](t, second, bt.JSMessage); !strings.Contains(msg, "already used") {
		t.Errorf("second load says %q", msg)
	}

	// Reconnect gets a fresh one-time ticket through the page's secret.
	page.Do(t, chromedp.Click(chromedp.ID("btn-disconnect")))
	page.WaitFor(t, 10*time.Second, bt.JSState+` === 'disconnected'`)
	page.Do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page.WaitFor(t, 20*time.Second, bt.JSConnected)

	// The guest's VNC server goes away with the guest: the page says so and
	// horcrux keeps serving.
	virsh(t, "destroy", name)
	page.WaitFor(t, 20*time.Second, bt.JSState+` === 'disconnected'`)
	if status := bt.Eval[string](t, page, bt.JSStatus); !strings.Contains(status, "closed the connection") && !strings.Contains(status, "VM") {
		t.Errorf("after the guest stopped the page says %q", status)
	}
	select {
	case err := <-exited:
		t.Fatalf("horcrux console exited when the guest stopped: %v\n%s", err, stderr.String())
	default:
	}

	// Another guest takes the stopped guest's VNC port. Reconnect must not
	// reach it: the console belongs to the first guest, which is not running.
	virsh(t, "start", other)
	page.Do(t, chromedp.Click(chromedp.ID("btn-reconnect")))
	page.WaitFor(t, 20*time.Second, bt.JSState+` === 'disconnected' && `+bt.JSStatus+`.includes('not running')`)
	if bt.Eval[bool](t, page, bt.JSConnected) {
		t.Fatalf("Reconnect reached the other guest's display")
	}
	if status := bt.Eval[string](t, page, bt.JSStatus); !strings.Contains(status, name) {
		t.Errorf("the page does not name the stopped guest: %q", status)
	}
	for _, tb := range []*bt.Tab{page, second} {
		if p := tb.Problems(); len(p) > 0 {
			t.Errorf("CSP violations or exceptions:\n%s", strings.Join(p, "\n"))
		}
	}

	// Ctrl+C ends it cleanly.
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("horcrux console exited with %v after Ctrl+C:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("horcrux console still running after Ctrl+C:\n%s", stderr.String())
	}
}

// spiceGuest is a diskless QEMU guest whose only display is SPICE.
const spiceGuest = `<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
 <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
 <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
  <graphics type='spice' autoport='yes' listen='127.0.0.1'/><video><model type='qxl'/></video></devices></domain>`

// TestSPICEConsoleOfARealGuest opens the console of a SPICE-only guest with
// `horcrux console`: the SPICE page opens its channels through the proxy,
// each with its own ticket, and paints the guest's screen.
func TestSPICEConsoleOfARealGuest(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to run against libvirtd, QEMU and Chromium")
	}
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
	startLibvirtd(t)
	name := fmt.Sprintf("horcrux-e2e-spice-%d", os.Getpid())
	xml := filepath.Join(t.TempDir(), name+".xml")
	if err := os.WriteFile(xml, []byte(fmt.Sprintf(spiceGuest, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	virsh(t, "define", xml)
	t.Cleanup(func() {
		exec.Command("virsh", "-c", "qemu:///system", "destroy", name).Run()
		exec.Command("virsh", "-c", "qemu:///system", "undefine", name).Run()
	})
	virsh(t, "start", name)

	bin := buildBinary(t)
	// Asked for VNC, a SPICE-only guest says what it has instead.
	out, err := exec.Command(bin, "console", "--connect", "qemu:///system", "--print-url", name+"-missing").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no VM named") {
		t.Errorf("a missing VM: %v %s", err, out)
	}
	pageURL := consoleURL(t, bin, name)
	if !strings.Contains(pageURL, "/console/spice.html#t=") {
		t.Fatalf("a SPICE-only guest opens %q", pageURL)
	}

	browser := bt.Start(t)
	page := bt.NewTab(t, browser)
	clicked := time.Now()
	page.Do(t, chromedp.Navigate(pageURL))
	page.WaitFor(t, 20*time.Second, bt.JSConnected)
	page.WaitFor(t, 20*time.Second, bt.JSSpicePainted)
	t.Logf("link to first painted SPICE frame: %v", time.Since(clicked).Round(time.Millisecond))
	// main, display, inputs, cursor at least: each its own WebSocket and ticket.
	page.WaitFor(t, 10*time.Second, `Number(document.body.dataset.channels || 0) >= 3`)
	if title := bt.Eval[string](t, page, `document.title`); !strings.Contains(title, name) || !strings.Contains(title, "SPICE") {
		t.Errorf("page title %q", title)
	}
	// The page says what spice-html5 cannot do and offers a .vv file.
	page.Do(t, chromedp.Click(chromedp.ID("btn-limits")))
	page.WaitFor(t, 10*time.Second, `document.getElementById('vv').href.startsWith('blob:')`)

	// The guest goes away: the page says so.
	virsh(t, "destroy", name)
	page.WaitFor(t, 20*time.Second, bt.JSState+` === 'disconnected'`)
	if msg := bt.Eval[string](t, page, bt.JSMessage); msg == "" {
		t.Error("the page does not say why it disconnected")
	}
	if p := page.Problems(); len(p) > 0 {
		t.Errorf("CSP violations or exceptions:\n%s", strings.Join(p, "\n"))
	}
}

// printedURL runs `horcrux ARGS...` and returns the first line it prints
// (the --print-url link); the command serves until the test ends.
func printedURL(t testing.TB, bin string, args ...string) string {
	t.Helper()
	u, _ := serving(t, bin, args...)
	return u
}

// serving is printedURL that also returns the command.
func serving(t testing.TB, bin string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = 5 * time.Second // a child that keeps stderr open does not hold the test
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		cmd.Wait()
		t.Fatalf("horcrux %v printed no URL:\n%s", args, stderr.String())
	}
	return sc.Text(), cmd
}

// consoleURL is printedURL of `horcrux console --print-url ARGS...` on the system libvirtd.
func consoleURL(t testing.TB, bin string, args ...string) string {
	t.Helper()
	return printedURL(t, bin, append([]string{"console", "--connect", "qemu:///system", "--print-url"}, args...)...)
}

// TestSerialAndSPICEConsolesOfALinuxGuest boots the small Linux test guest
// (Debian's kernel, a busybox initramfs; a shell on the screen and one on
// ttyS0) with SPICE and a serial port, and drives both console pages in
// Chromium: the serial page opens with the boot output and runs a command;
// a command typed into the SPICE page reaches the guest's screen shell,
// which the serial console then sees. The same guest (a NIC, a disk and
// qemu-ga) shows its agent's facts through the snapshot, the exporter and
// the doctor, and says why they went once the serial page stops the agent.
func TestSerialAndSPICEConsolesOfALinuxGuest(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to boot a guest under libvirtd and drive Chromium")
	}
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
	startLibvirtd(t)
	conn, err := libvirt.NewConnect("qemu:///system")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testguest.RemoveLeftovers(t, conn, "hx-e2e-linux-")
	o := testguest.SPICESerial(testguest.Name("hx-e2e-linux-"))
	o.Net, o.Disk = true, testguest.NewDisk(t) // for its agent's facts
	testguest.Start(t, conn, testguest.Build(t), o)
	testguest.WaitForLog(t, o, testguest.Prompt, 120*time.Second)
	bin := buildBinary(t)
	t.Run("guest facts appear", func(t *testing.T) { guestFactsAppear(t, bin, o.Name) })
	browser := bt.Start(t)

	// The serial console: the boot output is there on open, and a command runs.
	serialURL := consoleURL(t, bin, "--serial", o.Name)
	if !strings.Contains(serialURL, "/console/term.html#t=") {
		t.Fatalf("--serial opens %q", serialURL)
	}
	serial := bt.NewTab(t, browser)
	serial.Do(t, chromedp.EmulateViewport(1000, 700), chromedp.Navigate(serialURL))
	serial.WaitFor(t, 20*time.Second, bt.JSConnected)
	serial.WaitFor(t, 10*time.Second, jsRows+`.includes('HORCRUX-TESTGUEST-BOOTED')`)
	word := testguest.Name("hx")
	typeLine(t, serial, "echo "+word+"-serial")
	serial.WaitFor(t, 20*time.Second, jsRows+`.includes('`+word+`-serial')`)

	// SPICE: the guest's screen is painted, and keys typed there reach the
	// screen's shell: it makes a directory the serial shell then lists.
	spiceURL := consoleURL(t, bin, o.Name)
	if !strings.Contains(spiceURL, "/console/spice.html#t=") {
		t.Fatalf("the Console of a SPICE guest opens %q", spiceURL)
	}
	spice := bt.NewTab(t, browser)
	spice.Do(t, chromedp.EmulateViewport(1000, 800), chromedp.Navigate(spiceURL))
	spice.WaitFor(t, 20*time.Second, bt.JSConnected)
	spice.WaitFor(t, 20*time.Second, bt.JSSpicePainted)
	// The screen's shell may start after the serial one: keys typed into a
	// VT nobody has opened yet are dropped, so the command is typed again
	// until the serial shell sees its directory.
	deadline := time.Now().Add(40 * time.Second)
	for !bt.Eval[bool](t, serial, jsRows+`.includes('`+word+`-dir')`) {
		if time.Now().After(deadline) {
			t.Fatalf("the directory typed into the SPICE page never appeared (canvases %v, focus %s); serial shows:\n%s",
				bt.Eval[float64](t, spice, `document.querySelectorAll('#spice-screen canvas').length`),
				bt.Eval[string](t, spice, `document.activeElement.tagName`), bt.Eval[string](t, serial, jsRows))
		}
		bt.TypeKeys(t, spice, "#spice-screen canvas", "mkdir -p /tmp/"+word+"\r")
		typeLine(t, serial, "ls /tmp | sed s/$/-dir/")
		time.Sleep(time.Second)
	}
	for _, tb := range []*bt.Tab{serial, spice} {
		if p := tb.Problems(); len(p) > 0 {
			t.Errorf("CSP violations or exceptions:\n%s", strings.Join(p, "\n"))
		}
	}

	t.Run("guest facts gone when the agent stops", func(t *testing.T) {
		typeLine(t, serial, testguest.StopAgent)
		guestFactsGone(t, bin, o.Name)
	})
}

// TestConsoleOfAGuestOverSSH opens the VNC console of a guest on a
// qemu+ssh:// host (this machine's libvirtd through a real sshd): once with
// forwarding allowed (ssh -W) and once with sshd refusing it (nc there).
func TestConsoleOfAGuestOverSSH(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("set HORCRUX_INTEGRATION=1 (make test does) to run against libvirtd, sshd, QEMU and Chromium")
	}
	if err := novncassets.Check(); err != nil {
		t.Fatalf("run make novnc: %v", err)
	}
	if _, err := exec.LookPath("nc"); err != nil {
		t.Fatal("nc not found: apt-get install netcat-openbsd (the fallback when sshd refuses forwarding)")
	}
	startLibvirtd(t)
	name := fmt.Sprintf("horcrux-e2e-ssh-%d", os.Getpid())
	xml := filepath.Join(t.TempDir(), name+".xml")
	guest := strings.Replace(fmt.Sprintf(e2eGuest, name), "port='5987' autoport='no'", "autoport='yes'", 1)
	if err := os.WriteFile(xml, []byte(guest), 0o644); err != nil {
		t.Fatal(err)
	}
	virsh(t, "define", xml)
	t.Cleanup(func() {
		exec.Command("virsh", "-c", "qemu:///system", "destroy", name).Run()
		exec.Command("virsh", "-c", "qemu:///system", "undefine", name).Run()
	})
	virsh(t, "start", name)
	bin := buildBinary(t)
	browser := bt.Start(t)
	for _, tc := range []struct{ name, config string }{
		{"ssh -W", ""},
		{"nc when forwarding is refused", "AllowTcpForwarding no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sshtest.StartForLibvirt(t, tc.config)
			pageURL, cmd := serving(t, bin, "console", "--connect", srv.LibvirtURI(), "--print-url", name)
			page := bt.NewTab(t, browser)
			page.Do(t, chromedp.Navigate(pageURL))
			page.WaitFor(t, 30*time.Second, bt.JSConnected)
			page.WaitFor(t, 20*time.Second, bt.JSPainted)
			if p := page.Problems(); len(p) > 0 {
				t.Errorf("CSP violations or exceptions:\n%s", strings.Join(p, "\n"))
			}
			// Horcrux killed with the console open: its ssh connections end
			// with it, and the sessions they hold on the host (nc on the
			// guest's VNC port) with them.
			cmd.Process.Kill()
			sessionsEnd(t, srv.PID)
		})
	}
}

// sessionsEnd waits for the sshd listening as pid to have no sessions left.
func sessionsEnd(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, _ := exec.Command("pgrep", "-a", "-P", strconv.Itoa(pid)).Output()
		if len(bytes.TrimSpace(out)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tree, _ := exec.Command("ps", "-ef", "--forest").Output()
			t.Fatalf("sessions of sshd %d still open 20 s after Horcrux was killed:\n%s\n%s", pid, out, tree)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
