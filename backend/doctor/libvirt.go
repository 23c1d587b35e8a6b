package doctor

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/vm"
)

const checkLibvirtLib = "libvirt library"

// libvirtProblem is what a libvirt failure means for the user.
type libvirtProblem int

const (
	lvOther libvirtProblem = iota
	lvNotInstalled
	lvPermission
	lvPolkitDown // polkit decides access but cannot be asked: no system bus
	lvDaemonDown
	lvNoDriver
)

// classifyLibvirt is vm.Classify, so the doctor and the VM list agree,
// plus the one case only the doctor tells apart: polkit cannot be asked.
func classifyLibvirt(err error) libvirtProblem {
	p := vm.Classify(err)
	if p == vm.ProblemNotInstalled {
		return lvNotInstalled
	}
	low := strings.ToLower(vm.Message(err))
	if strings.Contains(low, "system bus connection") || strings.Contains(low, "polkit") && strings.Contains(low, "not running") {
		return lvPolkitDown
	}
	switch p {
	case vm.ProblemPermission:
		return lvPermission
	case vm.ProblemDaemonDown:
		return lvDaemonDown
	case vm.ProblemNoDriver:
		return lvNoDriver
	}
	return lvOther
}

// libvirtVersion formats libvirt's major*1e6+minor*1e3+micro numbers.
func libvirtVersion(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// absentStatus is warning for an optional component nobody asked for, and
// failed when the user named it.
func absentStatus(explicit bool) Status {
	if explicit {
		return StatusFailed
	}
	return StatusWarning
}

const installLibvirt = "sudo apt-get install libvirt-daemon-system"

// libvirt checks the library, then every URI, then the consoles and guest
// agents of the running VMs on those that answer.
func (c *checker) libvirt(ctx context.Context) (conns, consoles []Result) {
	lib, present := c.libvirtLibrary(ctx)
	conns = append(conns, lib)
	if !present {
		for _, t := range c.uris {
			conns = append(conns, Result{
				Check:  "libvirt connection " + t.uri,
				Status: lib.Status,
				Detail: "not checked: libvirt is not installed, so the VM list is disabled",
				Fix:    lib.Fix,
			})
		}
		return conns, nil
	}
	results := make([]Result, len(c.uris))
	running := make([][]domainDesc, len(c.uris))
	reachable := make([]bool, len(c.uris))
	var wg sync.WaitGroup
	for i, t := range c.uris {
		wg.Go(func() {
			results[i], running[i], reachable[i] = c.libvirtURI(ctx, t)
		})
	}
	wg.Wait()
	conns = append(conns, results...)
	perURI := make([][]Result, len(c.uris))
	for i, t := range c.uris {
		if reachable[i] {
			wg.Go(func() { perURI[i] = append(c.consoles(ctx, t.uri, running[i]), c.agents(t.uri, running[i])...) })
		}
	}
	wg.Wait()
	for _, rs := range perURI {
		consoles = append(consoles, rs...)
	}
	return conns, consoles
}

// libvirtLibrary loads libvirt.so.0 (the binding dlopens it on first use)
// and reports its version; present is false when it cannot be loaded.
func (c *checker) libvirtLibrary(ctx context.Context) (r Result, present bool) {
	r = Result{Check: checkLibvirtLib, Status: StatusOK}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	type answer struct {
		v   uint32
		err error
	}
	a, err := within(ctx, func() answer {
		v, err := libvirt.GetVersion()
		return answer{v, err}
	})
	if err == nil {
		err = a.err
	}
	switch {
	case err == nil:
		r.Detail = "libvirt " + libvirtVersion(a.v) + " (libvirt.so.0 loaded)"
		return r, true
	case classifyLibvirt(err) == lvNotInstalled:
		r.Status = absentStatus(c.anyExplicit())
		r.Detail = "libvirt is not installed (" + vm.Message(err) + "): the VM list is disabled"
		r.Fix = installLibvirt + " (for VMs on another host, libvirt0 alone is enough)"
		return r, false
	}
	// Loaded but odd: say so and still try the URIs, which tell more.
	r.Status = StatusFailed
	r.Detail = "libvirt.so.0 did not report its version: " + vm.Message(err)
	r.Fix = "reinstall libvirt: `sudo apt-get install --reinstall libvirt0`"
	return r, true
}

// domainDesc is one running domain's name and live XML.
type domainDesc struct {
	name string
	xml  string
	err  error
}

// uriAnswer is what one connection told, gathered on libvirt's goroutine.
type uriAnswer struct {
	err              error // connecting
	listErr          error
	libVer, hvVer    uint32
	hvType           string
	active, inactive int
	running          []domainDesc
}

// askLibvirt connects to uri and reads what the checks need, closing the
// connection before it returns, whether anyone still waits or not.
func askLibvirt(uri string) uriAnswer {
	conn, err := libvirt.NewConnect(uri)
	if err != nil {
		return uriAnswer{err: err}
	}
	defer func() { _, _ = conn.Close() }()
	var a uriAnswer
	a.libVer, _ = conn.GetLibVersion()
	a.hvVer, _ = conn.GetVersion()
	a.hvType, _ = conn.GetType()
	a.inactive, _ = conn.NumOfDefinedDomains()
	doms, err := conn.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
	if err != nil {
		a.listErr = err
		return a
	}
	a.active = len(doms)
	for i := range doms {
		var d domainDesc
		d.name, _ = doms[i].GetName()
		d.xml, d.err = doms[i].GetXMLDesc(0) // live XML: it has the port autoport chose
		a.running = append(a.running, d)
		_ = doms[i].Free()
	}
	return a
}

// libvirtURI checks one URI: reachable (with versions and VM counts), or why not.
func (c *checker) libvirtURI(ctx context.Context, t uriTarget) (Result, []domainDesc, bool) {
	uri := t.uri
	r := Result{Check: "libvirt connection " + uri, Status: StatusOK}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	a, err := within(ctx, func() uriAnswer { return askLibvirt(uri) })
	switch {
	case err != nil:
		r.Status = StatusFailed
		r.Detail = fmt.Sprintf("libvirt at %s did not answer within %s (%v): the daemon may be hung or overloaded", uri, c.timeout, err)
		r.Fix = c.libvirtRestartFix(uri)
	case a.err != nil:
		r = c.libvirtFailure(t, a.err)
	case a.listErr != nil:
		r.Status = StatusFailed
		r.Detail = "connected, but listing VMs failed: " + vm.Message(a.listErr)
		r.Fix = "run `virsh -c " + shellQuote(uri) + " list --all`, which shows the same error with more context"
	default:
		hv := a.hvType
		if a.hvVer != 0 {
			hv += " " + libvirtVersion(a.hvVer)
		}
		r.Detail = fmt.Sprintf("connected to libvirt %s, %s: %s running, %d shut off",
			libvirtVersion(a.libVer), hv, plural(a.active, "VM"), a.inactive)
		return r, a.running, true
	}
	if r.Status == StatusFailed && !t.explicit && t.primary != "" {
		// vm.Source tries the URIs in order and keeps the first that answers.
		r.Status = StatusWarning
		r.Detail += " (only a fallback: the app uses it when " + t.primary + " does not answer)"
	}
	return r, nil, false
}

// libvirtFailure turns a connection error into what it means and the fix.
func (c *checker) libvirtFailure(t uriTarget, err error) Result {
	uri := t.uri
	r := Result{Check: "libvirt connection " + uri, Status: StatusFailed}
	msg := vm.Message(err)
	switch classifyLibvirt(err) {
	case lvNotInstalled:
		r.Status = absentStatus(t.explicit)
		r.Detail = "libvirt is not installed (" + msg + "): the VM list is disabled"
		r.Fix = installLibvirt
	case lvPermission:
		r.Detail = "permission denied (" + msg + "): your user may not manage the VMs at " + uri + ", so the VM list cannot show them"
		r.Fix = "sudo usermod -aG libvirt $USER, then log out and in again (or allow your user org.libvirt.unix.manage with a polkit rule)"
	case lvPolkitDown:
		r.Detail = "permission denied: libvirt asks polkit whether your user may manage the VMs at " + uri +
			", and polkit cannot be reached (" + msg + "), so the VM list cannot show them"
		r.Fix = "start the system bus and polkit (`sudo systemctl start dbus polkit`), then `sudo usermod -aG libvirt $USER` and log in again; " +
			`or, without polkit, set auth_unix_rw = "none", unix_sock_group = "libvirt" and unix_sock_rw_perms = "0770" in /etc/libvirt/libvirtd.conf, ` +
			"restart libvirtd and add yourself to the libvirt group"
	case lvDaemonDown:
		if local, _ := localURI(uri); local && !c.libvirtDaemonInstalled(uri) {
			r.Status = absentStatus(t.explicit)
			r.Detail = "the libvirt daemon is not installed (" + msg + "): the VM list is disabled"
			r.Fix = installLibvirt
			break
		}
		r.Detail = "the libvirt daemon is not running (" + msg + "): the VM list is empty"
		r.Fix = c.libvirtStartFix(uri)
	case lvNoDriver:
		drv := driverOf(uri)
		r.Detail = "this libvirt has no " + drv + " driver (" + msg + "): the VM list is empty"
		r.Fix = "sudo apt-get install libvirt-daemon-driver-" + drv + ", then restart libvirtd: `sudo systemctl restart libvirtd`"
	default:
		r.Detail = "cannot connect: " + msg
		r.Fix = "run `virsh -c " + shellQuote(uri) + " list --all`, which shows the same error with more context"
	}
	return r
}

// localURI reports whether uri talks to a daemon on this machine, and the
// remote host name when not.
func localURI(uri string) (bool, string) {
	u, err := url.Parse(uri)
	if err != nil {
		return true, ""
	}
	_, transport, _ := strings.Cut(u.Scheme, "+")
	if u.Host == "" && (transport == "" || transport == "unix") {
		return true, ""
	}
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	}
	return false, host
}

// driverOf is the hypervisor driver a URI names ("qemu" in qemu+ssh://h/system).
func driverOf(uri string) string {
	scheme, _, _ := strings.Cut(uri, ":")
	drv, _, _ := strings.Cut(scheme, "+")
	return drv
}

// libvirtDaemonInstalled looks for the monolithic daemon or the driver's
// modular one (virtqemud for qemu).
func (c *checker) libvirtDaemonInstalled(uri string) bool {
	return c.haveBinary("libvirtd") || c.haveBinary("virt"+driverOf(uri)+"d")
}

// haveBinary looks in PATH and the usual system directories, which a
// user's PATH often lacks (sbin).
func (c *checker) haveBinary(name string) bool {
	if _, ok := lookPath(c.env("PATH"), name); ok {
		return true
	}
	_, ok := lookPath(strings.Join(c.daemonDirs, ":"), name)
	return ok
}

// libvirtStartFix is the command that starts the daemon serving uri.
func (c *checker) libvirtStartFix(uri string) string {
	if local, host := localURI(uri); !local {
		return "start libvirtd on " + host + ": `ssh " + host + " sudo systemctl start libvirtd`"
	}
	if strings.HasSuffix(strings.SplitN(uri, "?", 2)[0], "/session") {
		return "run `virsh -c " + shellQuote(uri) + " list` to see why your per-user libvirt daemon does not start"
	}
	modular := "virt" + driverOf(uri) + "d"
	if !c.haveBinary("libvirtd") && c.haveBinary(modular) {
		return "sudo systemctl start " + modular + ".socket"
	}
	return "sudo systemctl start libvirtd (or `sudo systemctl start " + modular + ".socket` where libvirt runs as modular daemons)"
}

// libvirtRestartFix is the command that restarts a hung daemon.
func (c *checker) libvirtRestartFix(uri string) string {
	if local, host := localURI(uri); !local {
		return "restart libvirtd on " + host + ": `ssh " + host + " sudo systemctl restart libvirtd`"
	}
	return "sudo systemctl restart libvirtd"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
