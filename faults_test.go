package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/faults"
	"github.com/horcrux-desktop/horcrux/internal/sshtest"
)

// The fault tests break a real daemon under every command of the binary
// and under the window: frozen with SIGSTOP (a hung daemon) or killed with
// SIGKILL (a crash), then mended with SIGCONT or a restart. They assert the
// bounds of issue #16 and that the lists come back once the daemon answers.

// interval is the sampling period the fault tests run every command with.
const interval = time.Second

// snapshotBound is how long `snapshot` may take whatever the daemons do:
// 2 x interval + 5 s, plus the process's start and exit.
const snapshotBound = 2*interval + 5*time.Second + 2*time.Second

// signalBound is how long any command may run on after SIGINT or SIGTERM.
const signalBound = time.Second

// daemon is a real daemon the fault tests break and mend, and how the
// binary reaches it.
type daemon struct {
	flags    []string  // --connect and --docker-host: this daemon, and nothing that could hang
	section  string    // its section in `snapshot --json`: "vms" or "containers"
	up       string    // its metric saying it answered: horcrux_vms_up or horcrux_containers_up
	item     [2]string // a metric and a label of its that show its list is back
	breakers []breaker // the ways it fails
}

// breaker makes a daemon fail; mend makes it answer again.
type breaker struct {
	name  string
	apply func(t *testing.T) (mend func())
	// hangs: the daemon takes connections and never answers (frozen),
	// rather than refusing them (gone).
	hangs bool
}

// stopped freezes the daemon in pidFile; SIGCONT mends it.
func stopped(pidFile string) breaker {
	return breaker{name: "SIGSTOP", hangs: true, apply: func(t *testing.T) func() {
		return faults.Freeze(t, pidFile)
	}}
}

// killed kills the daemon in pidFile; starting it again mends it (once),
// and the test's end does too, so a failed test leaves it running for the
// next.
func killed(pidFile string, start func(t *testing.T)) breaker {
	return breaker{name: "SIGKILL", apply: func(t *testing.T) func() {
		faults.Kill(t, pidFile)
		var once sync.Once // not OnceFunc: a start that fails the test must not panic the cleanup's call
		mend := func() { once.Do(func() { start(t) }) }
		t.Cleanup(mend)
		return mend
	}}
}

// TestLibvirtdFaults: a second, real libvirtd (its own socket and mount
// namespace) frozen and killed under every command and the window.
func TestLibvirtdFaults(t *testing.T) {
	needIntegration(t, "break a real libvirtd")
	dir := t.TempDir()
	start := func(t *testing.T) {
		if out, err := exec.Command("scripts/libvirtd-alt.sh", "start", dir).CombinedOutput(); err != nil {
			t.Fatalf("libvirtd: %v\n%s", err, out)
		}
	}
	start(t)
	t.Cleanup(func() { exec.Command("scripts/libvirtd-alt.sh", "stop", dir).Run() })
	pidFile := filepath.Join(dir, "libvirtd.pid")
	runFaults(t, daemon{
		flags: []string{"--connect", "test+unix:///default?socket=" + filepath.Join(dir, "libvirt-sock"),
			"--docker-host", "unix://" + filepath.Join(dir, "no-docker.sock")},
		section:  "vms",
		up:       "horcrux_vms_up",
		item:     [2]string{"horcrux_vm_info", `name="test"`}, // the test driver's one domain
		breakers: []breaker{stopped(pidFile), killed(pidFile, start)},
	})
}

// privateDockerd starts a private dockerd holding one created container;
// it is stopped when the test ends. It returns the engine's address, the
// container's name, its pid file and a start that starts it again.
func privateDockerd(t *testing.T) (engine, name, pidFile string, start func(*testing.T)) {
	t.Helper()
	dir := filepath.Join("/tmp", fmt.Sprintf("horcrux-faults-%d", os.Getpid()))
	env := append(os.Environ(), "HORCRUX_DOCKERD_DIR="+dir)
	start = func(t *testing.T) {
		cmd := exec.Command("scripts/dockerd.sh", "start")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dockerd: %v\n%s", err, out)
		}
	}
	start(t)
	t.Cleanup(func() {
		stop := exec.Command("scripts/dockerd.sh", "stop")
		stop.Env = env
		stop.Run()
		os.RemoveAll(dir)
	})
	image := exec.Command("scripts/dockerd.sh", "image")
	image.Env = env
	if out, err := image.CombinedOutput(); err != nil {
		t.Fatalf("dockerd image: %v\n%s", err, out)
	}
	engine = "unix://" + filepath.Join(dir, "docker.sock")
	name = fmt.Sprintf("horcrux-faults-%d", os.Getpid())
	if out, err := exec.Command("docker", "-H", engine, "create", "--network=none", "--name", name, "test/sleeper:1").CombinedOutput(); err != nil {
		t.Fatalf("docker create: %v\n%s", err, out)
	}
	return engine, name, filepath.Join(dir, "docker.pid"), start
}

// TestDockerdFaults: a private dockerd frozen and killed under every
// command and the window.
func TestDockerdFaults(t *testing.T) {
	needIntegration(t, "break a real dockerd")
	engine, name, pidFile, start := privateDockerd(t)
	runFaults(t, daemon{
		flags:    []string{"--connect", "test:///default", "--docker-host", engine},
		section:  "containers",
		up:       "horcrux_containers_up",
		item:     [2]string{"horcrux_container_info", `name="` + name + `"`},
		breakers: []breaker{stopped(pidFile), killed(pidFile, start)},
	})
}

// TestSSHEngineFaults: a Docker engine reached at ssh://, whose sshd (the
// listener and the processes serving each connection) is frozen under
// every command and the window.
func TestSSHEngineFaults(t *testing.T) {
	needIntegration(t, "freeze a real sshd")
	engine, name, _, _ := privateDockerd(t)
	sshd := sshtest.Start(t, sshtest.Client(t), engine)
	runFaults(t, daemon{
		flags:   []string{"--connect", "test:///default", "--docker-host", fmt.Sprintf("ssh://root@127.0.0.1:%d", sshd.Port)},
		section: "containers",
		up:      "horcrux_containers_up",
		item:    [2]string{"horcrux_container_info", `name="` + name + `"`},
		breakers: []breaker{{name: "sshd SIGSTOP", hangs: true, apply: func(t *testing.T) func() {
			return faults.FreezeTree(t, sshd.PID)
		}}},
	})
}

func needIntegration(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skipf("set HORCRUX_INTEGRATION=1 (make test does) to %s", what)
	}
}

// runFaults breaks d each way under the one-shot commands, the exporter
// and the window.
func runFaults(t *testing.T, d daemon) {
	quickExit(t)
	bin := buildBinary(t)
	// The exporter and the window each get one signal per way of breaking,
	// in turn: a run with both takes 10-15 s more each.
	sigs := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT}
	for i, b := range d.breakers {
		expSig, winSig := sigs[i%2], sigs[(i+1)%2]
		t.Run(b.name, func(t *testing.T) {
			t.Run("commands", func(t *testing.T) { oneShotFaults(t, bin, d, b) })
			t.Run("exporter", func(t *testing.T) {
				servingFaults(t, d, b, expSig, func(addr string) (*exec.Cmd, fmt.Stringer) {
					cmd, logs := command(t, bin, append([]string{"exporter", "--interval", interval.String(), "--listen", addr}, d.flags...)...)
					return cmd, logs
				})
			})
			t.Run("window", func(t *testing.T) {
				windowTest(t)
				display := startXvfb(t)
				servingFaults(t, d, b, winSig, func(addr string) (*exec.Cmd, fmt.Stringer) {
					app, logs := startApp(t, bin, display, t.TempDir(), append([]string{"--interval", interval.String(), "--metrics-listen", addr}, d.flags...)...)
					waitForWindow(t, display, logs)
					return app, logs
				})
			})
		})
	}
}

// oneShotFaults: with d broken, `snapshot` returns within its bound with d
// not available and a reason, `doctor` within its own and says d fails,
// and SIGINT and SIGTERM end snapshot, doctor and console within 1 s.
// Once d is mended, `snapshot` lists it again.
func oneShotFaults(t *testing.T, bin string, d daemon, b breaker) {
	mend := b.apply(t)

	began := time.Now()
	sec := snapshotSection(t, bin, d)
	took := time.Since(began)
	t.Logf("snapshot took %s with the daemon broken", took.Round(time.Millisecond))
	if took > snapshotBound {
		t.Errorf("snapshot took %s with the daemon broken; the bound is 2 x %s + 5 s", took.Round(time.Millisecond), interval)
	}
	if sec.Available || sec.Error == "" {
		t.Errorf("the broken daemon is reported as %+v", sec)
	}
	if b.hangs && (sec.State != "not-answering" || !strings.Contains(sec.Error, "has not answered")) {
		t.Errorf("the hung daemon is reported as %+v, want not answering", sec)
	}

	began = time.Now()
	cmd, logs := command(t, bin, append([]string{"doctor", "--json"}, d.flags...)...)
	cmd.Wait()
	took = time.Since(began)
	t.Logf("doctor took %s with the daemon broken", took.Round(time.Millisecond))
	if took > 5*time.Second+3*time.Second { // doctor's 5 s per check, and the process's start and exit
		t.Errorf("doctor took %s with the daemon broken:\n%s", took.Round(time.Millisecond), logs)
	}
	var rs []struct{ Check, Status string }
	if err := json.Unmarshal([]byte(cmd.Stdout.(*syncBuffer).String()), &rs); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, logs)
	}
	failed := false
	for _, r := range rs {
		if strings.HasSuffix(r.Check, " connection "+flagValue(d)) {
			failed = r.Status != "ok"
		}
	}
	if !failed {
		t.Errorf("doctor does not say the broken daemon fails:\n%s", cmd.Stdout)
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, run := range []struct{ args, tail []string }{
			{[]string{"snapshot", "--interval", interval.String()}, nil},
			{[]string{"doctor"}, nil},
			{[]string{"console", "--print-url"}, []string{"test"}}, // flags end at the VM's name
		} {
			if run.args[0] == "console" && d.section != "vms" {
				continue // no VM console goes through an engine
			}
			args := append(append(run.args, d.flags...), run.tail...)
			cmd, logs := command(t, bin, args...)
			time.Sleep(1500 * time.Millisecond) // started, and waiting on the daemon
			if b.hangs && faults.Exited(cmd.Process.Pid) {
				t.Errorf("%s ended before the signal, with the daemon hung:\n%s", strings.Join(args, " "), logs)
			}
			endsOn(t, cmd, logs, sig, args[0])
		}
	}

	mend()
	// A fresh process's first contact may take longer than one snapshot's
	// bound right after the thaw (an ssh handshake on a loaded machine):
	// the third in a row must list it.
	for range 3 {
		if sec = snapshotSection(t, bin, d); sec.Available {
			return
		}
	}
	t.Errorf("once the daemon answers again three snapshots in a row say %+v", sec)
}

// servingFaults: a command that keeps serving metrics (the exporter, the
// window) lists d, keeps answering and says d is down once d is broken,
// lists it again once d is mended, and ends within 1 s of sig with d
// broken again.
func servingFaults(t *testing.T, d daemon, b breaker, sig syscall.Signal, start func(metricsAt string) (*exec.Cmd, fmt.Stringer)) {
	addr := freeAddr(t)
	cmd, logs := start(addr)
	waitMetrics(t, addr, logs, "the list", func(m string) bool { return hasLine(m, d.up, " 1", "") && hasLine(m, d.item[0], "", d.item[1]) })
	mend := b.apply(t)
	waitMetrics(t, addr, logs, "the daemon down", func(m string) bool { return hasLine(m, d.up, " 0", "") })
	mend()
	waitMetrics(t, addr, logs, "the list back", func(m string) bool { return hasLine(m, d.up, " 1", "") && hasLine(m, d.item[0], "", d.item[1]) })
	mend = b.apply(t)        // broken again for the quit
	time.Sleep(2 * interval) // a refresh is now waiting on the broken daemon
	endsOn(t, cmd, logs, sig, "")
	mend() // for the next run
}

// endsOn sends sig to cmd and fails the test unless it ends within 1 s,
// with status 0 unless it is a one-shot command (one cut short fails).
func endsOn(t *testing.T, cmd *exec.Cmd, logs fmt.Stringer, sig syscall.Signal, oneShot string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	sent := time.Now()
	cmd.Process.Signal(sig)
	select {
	case err := <-done:
		took := time.Since(sent)
		t.Logf("%s ended %s after %s", strings.Join(cmd.Args[1:2], " "), took.Round(time.Millisecond), sig)
		if took > signalBound {
			t.Errorf("%s %s took %s to end after %s", cmd.Path, strings.Join(cmd.Args[1:], " "), took.Round(time.Millisecond), sig)
		}
		if err != nil && oneShot == "" {
			t.Errorf("%s ended with %v after %s:\n%s", strings.Join(cmd.Args[1:], " "), err, sig, logs)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("%s still running 10 s after %s:\n%s", strings.Join(cmd.Args[1:], " "), sig, logs)
	}
}

// quickExit has binaries built with -race exit at once: by default the
// race runtime sleeps 1 s at exit (GORACE atexit_sleep_ms), which the
// bounds on ending would otherwise measure.
func quickExit(t *testing.T) {
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

// command starts the binary with args and a fresh, empty configuration
// (no hosts saved in Settings); it is killed when the test ends.
func command(t *testing.T, bin string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &syncBuffer{}, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, logs
}

// section is a daemon's section in `snapshot --json`.
type section struct {
	Available bool
	State     string
	Error     string
}

// snapshotSection runs `snapshot --json` and returns d's section.
func snapshotSection(t *testing.T, bin string, d daemon) section {
	t.Helper()
	cmd, logs := command(t, bin, append([]string{"snapshot", "--json", "--interval", interval.String()}, d.flags...)...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("snapshot: %v\n%s", err, logs)
	}
	var doc map[string]json.RawMessage
	var sec section
	out := cmd.Stdout.(*syncBuffer).String()
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := json.Unmarshal(doc[d.section], &sec); err != nil {
		t.Fatalf("%s: %v\n%s", d.section, err, out)
	}
	return sec
}

// flagValue is the value of the flag that reaches d's section.
func flagValue(d daemon) string {
	flag := map[string]string{"vms": "--connect", "containers": "--docker-host"}[d.section]
	for i := 0; i+1 < len(d.flags); i++ {
		if d.flags[i] == flag {
			return d.flags[i+1]
		}
	}
	return ""
}

// freeAddr is a loopback address nothing listens on, for /metrics.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitMetrics scrapes addr until ok holds of the metrics page, for 45 s
// at most; every scrape must be answered within 2 s once the first was.
func waitMetrics(t *testing.T, addr string, logs fmt.Stringer, what string, ok func(string) bool) {
	t.Helper()
	answered := false
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		res, err := scrape(client, "http://"+addr+"/metrics")
		switch {
		case err == nil && ok(res):
			return
		case err == nil:
			answered = true
		case answered:
			t.Fatalf("the metrics stopped answering while waiting for %s: %v\n%s", what, err, logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics showing %s within 45 s:\n%s\nlogs:\n%s", what, res, logs)
		}
	}
}

// scrape gets a metrics page.
func scrape(client *http.Client, url string) (string, error) {
	res, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", url, res.Status)
	}
	return string(body), err
}

// hasLine says whether the metrics page m holds a sample of metric that
// ends with suffix and holds label.
func hasLine(m, metric, suffix, label string) bool {
	sc := bufio.NewScanner(strings.NewReader(m))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, metric+"{") && strings.HasSuffix(l, suffix) && strings.Contains(l, label) {
			return true
		}
	}
	return false
}

// TestWindowQuitsWithAHungHost: a configured libvirt host that never
// answers, from the start, does not hold up a quit.
func TestWindowQuitsWithAHungHost(t *testing.T) {
	windowTest(t)
	quickExit(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	app, logs := startApp(t, bin, display, t.TempDir(), "--connect", "qemu+unix:///system?socket="+faults.SilentSocket(t))
	waitForWindow(t, display, logs)
	time.Sleep(2 * time.Second) // the collector is now waiting on the hung host
	endsOn(t, app, logs, syscall.SIGTERM, "")
}
