// Command horcrux shows the host, its virtual machines and its containers
// in a desktop window, or prints one snapshot of them for scripts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/registry"

	"github.com/pkg/browser"

	"github.com/horcrux-desktop/horcrux/app"
	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/exporter"
	"github.com/horcrux-desktop/horcrux/backend/report"
	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	// Before Fyne's init: no "Error parsing user locale C" under LANG=C.UTF-8.
	_ "github.com/horcrux-desktop/horcrux/internal/toolkitlocale"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "0.1.0"

const usage = `Horcrux shows this machine, its virtual machines and its containers.

Usage:
  horcrux [flags]                    open the window
  horcrux snapshot [--json]          print one snapshot (rates over one interval)
  horcrux doctor [--json]            check the set-up and say how to fix what is missing
  horcrux exporter --listen ADDR     serve Prometheus metrics, headless (for servers)
  horcrux console [--print-url] [--serial|--spice] VM
                                     open a VM's console in the browser (name or UUID):
                                     its display (VNC or SPICE), else its serial console
  horcrux shell [--print-url] [--cmd CMD] CONTAINER
                                     open a shell in a container in the browser
  horcrux history [--since 24h|--from T --to T] [--item NAME] [--metric M,...] [--events] [--json|--csv]
                                     print the stored history (recorded by the window and the exporter)
  horcrux version                    print the version
  horcrux help [COMMAND]             print this help, or a command's

Flags go before or after the command and its arguments; "horcrux COMMAND --help"
lists a command's own. Every command takes these:
`

func main() {
	// A browser started for a console must not write into our terminal.
	// They must be *os.File: with another writer os/exec would copy through
	// a pipe the browser inherits, and opening would wait for it to exit.
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		browser.Stdout, browser.Stderr = null, null
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// globals are the flags every command accepts.
type globals struct {
	connect       string
	dockerHost    string
	interval      time.Duration
	metricsListen string
	stdout        io.Writer // where a command's --help goes
}

// register defines the global flags on fs. Their defaults are the values
// given before the command, so a command's own flag set does not reset them.
func (g *globals) register(fs *flag.FlagSet) {
	if g.interval == 0 {
		g.interval = time.Second
	}
	fs.StringVar(&g.connect, "connect", g.connect, "libvirt `URI`, as virsh -c: qemu:///system, qemu+ssh://user@host/system, test:///default\n"+
		"(default: $LIBVIRT_DEFAULT_URI, then qemu:///system, then qemu:///session)")
	fs.StringVar(&g.dockerHost, "docker-host", g.dockerHost, "Docker or Podman engine `ADDRESS`: unix:///path/docker.sock, tcp://host:2376 or ssh://user@host\n"+
		"(default: $DOCKER_HOST, then unix:///var/run/docker.sock)")
	fs.DurationVar(&g.interval, "interval", g.interval, "sampling `period`")
	fs.StringVar(&g.metricsListen, "metrics-listen", g.metricsListen, "also serve Prometheus metrics from the window at `ADDR` (e.g. 127.0.0.1:9810)")
}

// registry is the hosts named by the flags (or the defaults).
func (g *globals) registry() *registry.Registry {
	return registry.New(registry.Config{Connect: g.connect, DockerHost: g.dockerHost})
}

// check refuses flag values no command can use, wherever they were placed.
func (g *globals) check() error {
	// Rates over a shorter period are noise: a counter moves in steps.
	if g.interval < minInterval {
		return fmt.Errorf("--interval %s is too short: rates need at least %s between two readings", g.interval, minInterval)
	}
	return nil
}

// minInterval is the shortest sampling period a figure means something over.
const minInterval = 100 * time.Millisecond

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	g := globals{stdout: stdout}
	top := flag.NewFlagSet("horcrux", flag.ContinueOnError)
	top.SetOutput(stderr)
	g.register(top)
	printUsage := func(w io.Writer) {
		top.SetOutput(w)
		fmt.Fprint(w, usage)
		top.PrintDefaults()
	}
	// Parse would print the usage on stderr for --help too; it is printed
	// below, on stdout when asked for and on stderr after a bad flag.
	top.Usage = func() {}
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		printUsage(stderr)
		return 2
	}
	if err := g.check(); err != nil {
		fmt.Fprintln(stderr, "horcrux:", err)
		return 2
	}
	rest := top.Args()
	if len(rest) == 0 {
		return runWindow(g, stderr)
	}
	switch cmd, cmdArgs := rest[0], rest[1:]; cmd {
	case "snapshot":
		return runSnapshot(g, cmdArgs, stdout, stderr)
	case "doctor":
		return runDoctor(g, cmdArgs, stdout, stderr)
	case "console":
		return runConsole(g, cmdArgs, stdout, stderr)
	case "shell":
		return runShell(g, cmdArgs, stdout, stderr)
	case "exporter":
		return runExporter(g, cmdArgs, stderr)
	case "history":
		return runHistory(g, cmdArgs, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "horcrux", versionString())
		return 0
	case "help":
		if len(cmdArgs) == 1 && commandUsage(cmdArgs[0]) != "" {
			return run([]string{cmdArgs[0], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "horcrux: unknown command %q (try horcrux --help)\n", cmd)
		return 2
	}
}

// subcommand parses a command's flags, the global ones included, wherever
// they stand among its arguments ("console VM --connect URI" as well as
// "console --connect URI VM"); fs.Args() are the arguments. ok false means
// return code at once (help was asked for and printed on stdout, or the
// flags were wrong).
func subcommand(name string, g *globals, args []string, stderr io.Writer, define func(*flag.FlagSet)) (fs *flag.FlagSet, code int, ok bool) {
	fs = flag.NewFlagSet("horcrux "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if define != nil {
		define(fs)
	}
	g.register(fs)
	// Parse prints the usage on its own for --help and after a bad flag;
	// it is printed here instead, once, where it belongs.
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprintf(w, "usage: %s\n\nFlags, before or after the arguments:\n", commandUsage(name))
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	if err := parseAnywhere(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			out := g.stdout
			if out == nil {
				out = stderr
			}
			printUsage(out)
			return fs, 0, false
		}
		fmt.Fprintf(stderr, "usage: %s (horcrux %s --help lists the flags)\n", commandUsage(name), name)
		return fs, 2, false
	}
	if err := g.check(); err != nil {
		fmt.Fprintf(stderr, "horcrux %s: %v\n", name, err)
		return fs, 2, false
	}
	return fs, 0, true
}

// parseAnywhere parses the flags in args wherever they stand: the flag
// package stops at the first argument, so parsing goes on after each one.
// After "--" everything is an argument. fs.Args() are the arguments.
func parseAnywhere(fs *flag.FlagSet, args []string) error {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// A last parse sets fs.Args() to the arguments, whatever they look like.
	return fs.Parse(append([]string{"--"}, pos...))
}

// commandUsage is a command's line of the usage text, without the
// leading spaces and the description; "horcrux NAME [flags]" for one it
// does not list.
func commandUsage(name string) string {
	for _, l := range strings.Split(usage, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "horcrux "+name+" ") || l == "horcrux "+name {
			if i := strings.Index(l, "   "); i > 0 {
				l = l[:i] // the description
			}
			return l
		}
	}
	return "horcrux " + name + " [flags]"
}

func runWindow(g globals, stderr io.Writer) int {
	servePprof(stderr)
	record, store, stopHistory := startHistory(stderr, nil)
	defer stopHistory()
	err := app.Run(app.Options{Connect: g.connect, DockerHost: g.dockerHost, Interval: g.interval, MetricsListen: g.metricsListen, OnSnapshot: record, History: store})
	if err != nil {
		fmt.Fprintln(stderr, "horcrux:", err)
		return 1
	}
	return 0
}

func runSnapshot(g globals, args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	fs, code, ok := subcommand("snapshot", &g, args, stderr, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON (the documented shape) instead of a table")
	})
	if !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "horcrux snapshot: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hosts := g.registry()
	defer hosts.Close()
	r, err := report.Take(ctx, report.Config{Interval: g.interval, VMs: hosts.Machines()[0], Containers: hosts.Engines()[0]})
	if err != nil {
		fmt.Fprintln(stderr, "horcrux snapshot:", err)
		return 1
	}
	if *asJSON {
		err = r.WriteJSON(stdout)
	} else {
		err = r.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "horcrux snapshot:", err)
		return 1
	}
	return 0
}

// versionString is the release version plus the commit it was built from.
func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

func runDoctor(g globals, args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	fs, code, ok := subcommand("doctor", &g, args, stderr, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, `print JSON: [{"check","status","detail","fix"}]`)
	})
	if !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "horcrux doctor: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rs := doctor.Run(ctx, doctorConfig(g, savedhosts.Path(app.ID), stderr))
	var err error
	if *asJSON {
		err = doctor.WriteJSON(stdout, rs)
	} else {
		err = doctor.WriteText(stdout, rs)
	}
	if err != nil {
		fmt.Fprintln(stderr, "horcrux doctor:", err)
		return 1
	}
	if doctor.Failed(rs) {
		return 1
	}
	return 0
}

// doctorConfig is the hosts the window would watch: the ones the flags name
// (or the defaults), then the ones saved in Settings in the preferences
// file at prefs. A damaged file is reported on stderr and checks the rest.
func doctorConfig(g globals, prefs string, stderr io.Writer) doctor.Config {
	uris, engines, err := savedhosts.Read(prefs)
	if err != nil {
		fmt.Fprintln(stderr, "horcrux doctor:", err)
	}
	return doctor.Config{
		URIs:        append([]string{g.connect}, uris...),
		DockerHosts: append([]string{g.dockerHost}, engines...),
	}
}

func runExporter(g globals, args []string, stderr io.Writer) int {
	var listen *string
	fs, code, ok := subcommand("exporter", &g, args, stderr, func(fs *flag.FlagSet) {
		listen = fs.String("listen", "127.0.0.1:9810", "serve /metrics at `ADDR`; use 0.0.0.0:PORT only behind a firewall")
	})
	if !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "horcrux exporter: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hosts := g.registry()
	defer hosts.Close()
	// Listen before saying so: a bad address is an error, never a "serving" line.
	ln, err := exporter.Listen(*listen)
	if err != nil {
		fmt.Fprintln(stderr, "horcrux exporter:", err)
		return 1
	}
	exp := exporter.New()
	record, _, stopHistory := startHistory(stderr, exp.Update)
	defer stopHistory()
	vms, cts := hosts.Sources()
	coll := collector.New(collector.Config{Interval: g.interval, OnUpdate: record, VMs: vms, Containers: cts})
	done := make(chan struct{})
	go func() { coll.Run(ctx); close(done) }()
	fmt.Fprintf(stderr, "horcrux exporter: serving http://%s/metrics\n", ln.Addr())
	err = exporter.ServeListener(ctx, ln, exp)
	stop()
	<-done
	if err != nil {
		fmt.Fprintln(stderr, "horcrux exporter:", err)
		return 1
	}
	return 0
}

// consoleGrace is how long `horcrux console` keeps serving after the last
// activity: as long as an unopened link lives, so the link works for its
// whole documented life, and Reconnect in the page still works.
const consoleGrace = console.DefaultTicketTTL

func runConsole(g globals, args []string, stdout, stderr io.Writer) int {
	var printURL, serial, spice *bool
	fs, code, ok := subcommand("console", &g, args, stderr, func(fs *flag.FlagSet) {
		printURL = fs.Bool("print-url", false, "print the one-time URL instead of opening a browser")
		serial = fs.Bool("serial", false, "open the serial console (default: the display, else the serial console)")
		spice = fs.Bool("spice", false, "open the SPICE display")
	})
	if !ok {
		return code
	}
	if fs.NArg() != 1 || *serial && *spice {
		fmt.Fprintf(stderr, "usage: %s (horcrux console --help lists the flags)\n", commandUsage("console"))
		return 2
	}
	var kind console.Kind
	switch {
	case *serial:
		kind = console.Serial
	case *spice:
		kind = console.SPICE
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintln(stderr, "horcrux console:", err)
		return 1
	}

	hosts := g.registry()
	defer hosts.Close()
	h := hosts.Machines()[0]
	pollCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	sec := h.Poll(pollCtx)
	cancel()
	if !sec.IsUp() {
		return fail(errors.New(sec.Reason))
	}
	want := fs.Arg(0)
	var uuid string
	for _, m := range sec.Items {
		if m.Name == want || m.UUID == want {
			uuid = m.UUID
		}
	}
	if uuid == "" {
		err := fmt.Errorf("no VM named %q at %s", want, sec.URI)
		if sec.Notice != "" {
			err = fmt.Errorf("%w; note: %s", err, sec.Notice)
		}
		return fail(err)
	}
	dispCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	target, err := h.Console(dispCtx, uuid, kind)
	cancel()
	if err != nil {
		return fail(err)
	}
	return serveConsole(ctx, "console", target, *printURL, stdout, stderr)
}

func runShell(g globals, args []string, stdout, stderr io.Writer) int {
	var printURL *bool
	var cmdLine *string
	fs, code, ok := subcommand("shell", &g, args, stderr, func(fs *flag.FlagSet) {
		printURL = fs.Bool("print-url", false, "print the one-time URL instead of opening a browser")
		cmdLine = fs.String("cmd", "", "the command to run, split at spaces (default: /bin/bash, else /bin/sh)")
	})
	if !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: horcrux shell [--docker-host HOST] [--print-url] [--cmd CMD] CONTAINER")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hosts := g.registry()
	defer hosts.Close()
	e := hosts.Engines()[0]
	pollCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	sec := e.Poll(pollCtx)
	cancel()
	if !sec.IsUp() {
		fmt.Fprintln(stderr, "horcrux shell:", sec.Reason)
		return 1
	}
	want := fs.Arg(0)
	var found *model.Container
	for i, c := range sec.Items {
		if c.Name == want || c.ID == want || len(want) >= 4 && strings.HasPrefix(c.ID, want) {
			found = &sec.Items[i]
			break
		}
	}
	switch {
	case found == nil:
		fmt.Fprintf(stderr, "horcrux shell: no container named %q at %s\n", want, sec.Host)
		return 1
	case found.State != "running":
		fmt.Fprintf(stderr, "horcrux shell: %s is %s, not running; start it first\n", found.Name, found.State)
		return 1
	}
	return serveConsole(ctx, "shell", e.Shell(found.ID, strings.Fields(*cmdLine)), *printURL, stdout, stderr)
}

// serveConsole opens target's page (or prints its link) and serves it
// until the page has been closed for consoleGrace or ctx ends.
func serveConsole(ctx context.Context, cmd string, target console.Target, printURL bool, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "horcrux %s: %v\n", cmd, err)
		return 1
	}
	var show func(string) error
	if !printURL {
		show = console.Open
	}
	consoles := console.NewLauncher(console.Config{}, show)
	defer consoles.Close()
	url, err := consoles.Launch(target)
	switch {
	case err != nil && printURL:
		return fail(err)
	case err != nil:
		return fail(fmt.Errorf("%w; run again with --print-url and open the link yourself", err))
	case printURL:
		fmt.Fprintln(stdout, url)
	default:
		fmt.Fprintf(stderr, "horcrux %s: opened the %s of %s in your browser\n", cmd, target.Kind.Title(), target.VM)
	}
	fmt.Fprintf(stderr, "horcrux %s: serving while the console is open; Ctrl+C to stop\n", cmd)
	if err := consoles.Server().WaitIdle(ctx, consoleGrace); err != nil && ctx.Err() == nil {
		return fail(err)
	}
	return 0
}
