// Package app is the Horcrux desktop window: it wires the collector to the
// views and keeps the user's layout.
package app

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/exporter"
	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/registry"
)

// ID is the application ID; it names the preferences store and must match
// FyneApp.toml.
const ID = "io.github.horcrux-desktop"

// Options are the settings the command line passes to the window.
type Options struct {
	Connect    string        // libvirt URI, "" for the default
	DockerHost string        // Docker engine address, "" for DOCKER_HOST or the default socket
	Interval   time.Duration // refresh period
	// MetricsListen, when set, serves Prometheus metrics at this address.
	MetricsListen string
	// OnSnapshot, when set, is also handed every snapshot (the history
	// recorder); it must not block.
	OnSnapshot func(*model.Snapshot)
	// History, when set, is the store the charts read windows beyond the
	// live hour from.
	History *history.Store
}

// ErrNoDisplay is returned when there is no display to open a window on.
var ErrNoDisplay = errors.New("no display: DISPLAY and WAYLAND_DISPLAY are unset, so Horcrux cannot open its window; " +
	"run it from a desktop session, or use `horcrux snapshot` for the figures in a terminal")

// Preference keys.
const (
	prefWidth  = "window.width"
	prefHeight = "window.height"
	prefTab    = "window.tab"
	prefRange  = "charts.window"
	// prefKeepInTray keeps Horcrux running in the tray when the window closes.
	prefKeepInTray = "tray.keep"
	// prefMoreURIs and prefMoreDocker list more hosts, one per line.
	prefMoreURIs   = savedhosts.KeyLibvirt
	prefMoreDocker = savedhosts.KeyDocker
)

// Run opens the Horcrux window and returns when the user quits.
func Run(opts Options) error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	// SIGTERM and SIGINT quit the window from the start. Fyne catches them
	// too, but only once its loop runs; until then they killed the process.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	// The window holds ~25 MB of live heap (mostly fonts) and allocates
	// little; a tighter GC target keeps its resident size down for ~0.1 % CPU.
	debug.SetGCPercent(50)
	// Checked before Fyne reads the file, which it would then overwrite.
	saved, err := openPrefs()
	if err != nil {
		return err
	}
	hosts := registry.New(registry.Config{Connect: opts.Connect, DockerHost: opts.DockerHost,
		MoreURIs: saved.moreURIs, MoreEngines: saved.moreDocker})
	defer hosts.Close()
	var ccfg console.Config
	if opts.History != nil {
		ccfg.OnSession = func(e console.SessionEvent) { opts.History.Record(consoleEvent(time.Now(), e)) }
	}
	consoles := console.NewLauncher(ccfg, console.Open)
	defer consoles.Close()

	a := fyneapp.NewWithID(ID)
	w := newWindow(a, saved, hosts, consoles)
	if opts.History != nil {
		w.history = opts.History
		w.alerts.record = opts.History.Record
		if l, err := savedLimits(w.prefs); err != nil {
			fmt.Fprintln(os.Stderr, "horcrux:", err)
		} else if err := opts.History.SetLimits(l); err != nil {
			fmt.Fprintln(os.Stderr, "horcrux: history settings:", err)
		}
	}
	onUpdate := w.offer
	if opts.OnSnapshot != nil {
		onUpdate = func(s *model.Snapshot) { opts.OnSnapshot(s); w.offer(s) }
	}
	w.coll = collector.New(collector.Config{Interval: opts.Interval, Window: collectorWindow(saved.window), OnUpdate: onUpdate})
	w.coll.SetHosts(hosts.Sources())
	if opts.MetricsListen != "" {
		w.exp = exporter.New()
	}
	w.show(sigs, opts.MetricsListen)
	return nil
}
