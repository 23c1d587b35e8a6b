package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	checkDisplay = "display"
	checkDBus    = "D-Bus session bus"
	checkBrowser = "browser for the VM console"
)

// display checks there is somewhere for the window to open.
func (c *checker) display(ctx context.Context) Result {
	r := Result{Check: checkDisplay, Status: StatusOK}
	disp, way := c.env("DISPLAY"), c.env("WAYLAND_DISPLAY")
	switch {
	case disp != "":
		return c.x11Display(ctx, disp)
	case way != "" && !waylandBuild:
		// Fyne's default Linux build talks X11 only; on Wayland it needs XWayland's DISPLAY.
		r.Status = StatusWarning
		r.Detail = "only WAYLAND_DISPLAY=" + way + " is set and this build of Horcrux draws through X11: the window needs XWayland, which normally sets DISPLAY"
		r.Fix = "install XWayland (`sudo apt-get install xwayland`) and start Horcrux from the desktop session, or set DISPLAY (e.g. `export DISPLAY=:0`)"
		return r
	case way != "":
		sock := way
		if !filepath.IsAbs(sock) {
			sock = filepath.Join(c.runtimeDir(), way)
		}
		if _, err := os.Stat(sock); err != nil {
			r.Status = StatusWarning
			r.Detail = "WAYLAND_DISPLAY=" + way + " but its socket " + sock + " is missing (" + shortErr(err) + "): the window may fail to open"
			r.Fix = "start Horcrux from the Wayland session, or set XDG_RUNTIME_DIR and WAYLAND_DISPLAY to the compositor's socket"
			return r
		}
		r.Detail = "WAYLAND_DISPLAY=" + way + " (" + sock + ")"
		return r
	}
	r.Status = StatusFailed
	r.Detail = "neither DISPLAY nor WAYLAND_DISPLAY is set: the window cannot open; `horcrux snapshot` works"
	r.Fix = "run Horcrux from a desktop session, or point it at a running X server: `export DISPLAY=:0`"
	return r
}

// x11Display checks a local X display's socket, by path or in Linux's
// abstract namespace; a remote one (ssh -X) is taken as given.
func (c *checker) x11Display(ctx context.Context, disp string) Result {
	r := Result{Check: checkDisplay, Status: StatusOK}
	host, num, ok := parseDisplay(disp)
	if !ok {
		r.Status = StatusFailed
		r.Detail = "DISPLAY=" + disp + " is not a display name like :0 or host:10.0: the window cannot open"
		r.Fix = "set DISPLAY to your X display, e.g. `export DISPLAY=:0`"
		return r
	}
	if host != "" && host != "unix" {
		r.Detail = "DISPLAY=" + disp + " (X over the network or ssh -X; not checked further)"
		return r
	}
	sock := filepath.Join(c.x11Dir, "X"+strconv.Itoa(num))
	for _, addr := range []string{sock, "@" + sock} {
		if dialOK(ctx, c.timeout, "unix", addr) {
			r.Detail = "DISPLAY=" + disp + ": an X server answers on " + addr
			return r
		}
	}
	r.Status = StatusWarning
	r.Detail = "DISPLAY=" + disp + " but no X server answers on " + sock + ": the window may fail to open"
	r.Fix = "start Horcrux from the desktop session that owns the display, or start an X server for it (e.g. `Xvfb :" + strconv.Itoa(num) + " &`)"
	return r
}

// parseDisplay splits "[host]:N[.S]" into host and display number.
func parseDisplay(d string) (host string, num int, ok bool) {
	i := strings.LastIndexByte(d, ':')
	if i < 0 {
		return "", 0, false
	}
	host, n := d[:i], d[i+1:]
	n, _, _ = strings.Cut(n, ".")
	num, err := strconv.Atoi(n)
	if err != nil || num < 0 {
		return "", 0, false
	}
	return host, num, true
}

// dialOK reports whether something accepts a connection at addr.
func dialOK(ctx context.Context, timeout time.Duration, network, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// runtimeDir is XDG_RUNTIME_DIR, or where systemd puts it.
func (c *checker) runtimeDir() string {
	if d := c.env("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	return "/run/user/" + strconv.Itoa(os.Getuid())
}

// dbus checks for the session bus the tray icon and notifications need.
func (c *checker) dbus(ctx context.Context) Result {
	r := Result{Check: checkDBus, Status: StatusOK}
	addr, err := sessionBus(ctx, c.env, c.runtimeDir(), c.timeout)
	if err == nil {
		r.Detail = "answers at " + addr + ": tray icon and desktop notifications available"
		return r
	}
	r.Status = StatusWarning
	r.Detail = err.Error() + ": no tray icon and no desktop notifications"
	r.Fix = "start Horcrux from your desktop session, or give it a bus: `dbus-run-session -- horcrux`"
	return r
}

// SessionBus returns the address of a D-Bus session bus that accepts
// connections, so the app shows a tray icon only when it can (env is os.Getenv
// when nil). It looks where godbus does: DBUS_SESSION_BUS_ADDRESS, else
// $XDG_RUNTIME_DIR/bus.
func SessionBus(ctx context.Context, env func(string) string) (string, error) {
	c := newChecker(Config{Env: env})
	return sessionBus(ctx, c.env, c.runtimeDir(), c.timeout)
}

func sessionBus(ctx context.Context, env func(string) string, runtimeDir string, timeout time.Duration) (string, error) {
	if addr := env("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		for _, a := range strings.Split(addr, ";") {
			if network, dial, ok := busDialAddr(a); ok && dialOK(ctx, timeout, network, dial) {
				return a, nil
			}
		}
		return "", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS=%s but no bus answers there", addr)
	}
	path := filepath.Join(runtimeDir, "bus")
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is not set and there is no %s", path)
		}
		return "", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is not set and %s cannot be used (%s)", path, shortErr(err))
	}
	if !dialOK(ctx, timeout, "unix", path) {
		return "", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is not set and no bus answers on %s", path)
	}
	return "unix:path=" + path, nil
}

// busDialAddr turns one D-Bus address ("unix:path=/run/user/1000/bus,guid=…")
// into something net.Dial takes.
func busDialAddr(a string) (network, addr string, ok bool) {
	transport, params, ok := strings.Cut(a, ":")
	if !ok {
		return "", "", false
	}
	kv := map[string]string{}
	for _, p := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(p, "=")
		if u, err := url.PathUnescape(v); err == nil { // D-Bus escapes bytes as %xx
			v = u
		}
		kv[k] = v
	}
	switch transport {
	case "unix":
		if p := kv["path"]; p != "" {
			return "unix", p, true
		}
		if p := kv["abstract"]; p != "" {
			return "unix", "@" + p, true
		}
	case "tcp":
		if kv["host"] != "" && kv["port"] != "" {
			return "tcp", net.JoinHostPort(kv["host"], kv["port"]), true
		}
	}
	return "", "", false
}

// browserLaunchers are what github.com/pkg/browser runs on Linux, in its order.
func browserLaunchers() []string { return []string{"xdg-open", "x-www-browser", "www-browser"} }

// browser checks the VM console can open a browser tab.
func (c *checker) browser(context.Context) Result {
	r := Result{Check: checkBrowser, Status: StatusOK}
	for _, name := range browserLaunchers() {
		if p, ok := lookPath(c.env("PATH"), name); ok {
			r.Detail = "the console opens with " + name + " (" + p + ")"
			return r
		}
	}
	r.Status = StatusWarning
	r.Detail = "none of " + strings.Join(browserLaunchers(), ", ") + " is in PATH: the VM console cannot open a browser by itself; copy its address instead"
	r.Fix = "sudo apt-get install xdg-utils, and a browser (e.g. `sudo apt-get install firefox-esr`)"
	return r
}

// lookPath is exec.LookPath over a given PATH, so tests can inject it.
func lookPath(pathEnv, name string) (string, bool) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if !filepath.IsAbs(dir) {
			continue // exec.LookPath refuses relative results too
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}
