// Package app is the Horcrux desktop window: it wires the collector to the
// views and keeps the user's layout.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	ct "github.com/horcrux-desktop/horcrux/backend/container"
	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/exporter"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/vm"
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
	prefMoreURIs   = "hosts.libvirt"
	prefMoreDocker = "hosts.docker"
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
	a := fyneapp.NewWithID(ID)
	prefs := a.Preferences()
	w := a.NewWindow("Horcrux")
	w.SetMaster()

	window := saved.window
	// The hosts: the one named on the command line (or the default), then
	// the ones added in Settings.
	var (
		vmSrcs  []collector.VMSource
		vmActs  []vmActor
		vmDisps []displayResolver
		ctSrcs  []collector.ContainerSource
		ctEngs  []containerEngine
	)
	for _, uri := range append([]string{opts.Connect}, saved.moreURIs...) {
		s := vm.NewSource(vm.Config{URI: uri})
		defer s.Close()
		vmSrcs, vmActs, vmDisps = append(vmSrcs, s), append(vmActs, s), append(vmDisps, s)
	}
	for _, host := range append([]string{opts.DockerHost}, saved.moreDocker...) {
		s := ct.NewSource(ct.Config{Host: host})
		defer s.Close()
		ctSrcs, ctEngs = append(ctSrcs, s), append(ctEngs, s)
	}

	var (
		coll *collector.Collector
		hv   *hostView
		last *model.Snapshot
	)
	hv = newHostView(window, func(d time.Duration) {
		prefs.SetInt(prefRange, int(d/time.Second))
		coll.SetWindow(d)
	}, func() { exportCSV(w, last) }, func() { exportPNG(w, hv.root) })
	// Exactly the hosts above: the one named (or the default), then Settings'.
	diag := newDiagnostics(doctor.Config{
		URIs:        append([]string{opts.Connect}, saved.moreURIs...),
		DockerHosts: append([]string{opts.DockerHost}, saved.moreDocker...),
	})
	al := newAlerting(saved.thresholds, func(title, body string) {
		a.SendNotification(fyne.NewNotification("Horcrux: "+title, body))
	})
	cons := &consoles{srcs: vmDisps, open: console.Open}
	defer cons.Close()
	mv := newMachinesView(w, vmActs,
		func(uuid string) { al.engine.Expect(alerts.KindVM, uuid, time.Now().Add(expectFor)) },
		cons.Open,
		func(uuid string) { coll.SelectVM(uuid) })
	sessions := newSessionsPanel(cons.CloseSession)
	mv.bottom.Add(sessions.root)
	cv := newContainersView(w, a, ctEngs,
		func(id string) { al.engine.Expect(alerts.KindContainer, id, time.Now().Add(expectFor)) },
		func(id string) { coll.SelectContainer(id) })
	// Only the visible tab is brought up to date; switching tabs shows the
	// latest snapshot at once.
	var tabs *container.AppTabs
	render := func() {
		if last == nil {
			return
		}
		switch tabs.SelectedIndex() {
		case 0:
			hv.show(last)
		case 1:
			state, ok := vmState(last.VMs)
			mv.show(ok, state, vmRows(last.VMs), vmCharts(last.VMCharts))
			sessions.show(cons.Sessions(), time.Now())
		case 2:
			state, ok := containerState(last.Containers)
			cv.show(ok, state, containerRows(last.Containers), containerCharts(last.ContainerCharts))
		case 3:
			if !diag.ran {
				diag.run()
			}
		}
	}
	var tr *tray
	ui := &handoff[model.Snapshot]{do: fyne.Do, apply: func(s *model.Snapshot) {
		last = s
		render()
		al.observe(s)
		if tr != nil {
			tr.setVMs(runningVMs(s.VMs))
		}
	}}
	onUpdate := ui.Offer
	var exp *exporter.Exporter
	if opts.MetricsListen != "" {
		exp = exporter.New()
		onUpdate = func(s *model.Snapshot) { exp.Update(s); ui.Offer(s) }
	}
	coll = collector.New(collector.Config{
		Interval: opts.Interval, Window: window, OnUpdate: onUpdate,
		VMs: vmSrcs, Containers: ctSrcs,
	})

	tabs = container.NewAppTabs(
		container.NewTabItem("Host", hv.root),
		container.NewTabItem("Machines", mv.root),
		container.NewTabItem("Containers", cv.root),
		container.NewTabItem("Diagnostics", diag.root),
	)
	diagnose := func() {
		tabs.SelectIndex(3)
		diag.run()
	}
	mv.diagnose.OnTapped = diagnose
	cv.diagnose.OnTapped = diagnose
	hv.diagnose.OnTapped = diagnose
	tabs.SelectIndex(saved.tab)
	tabs.OnSelected = func(*container.TabItem) {
		prefs.SetInt(prefTab, tabs.SelectedIndex())
		render()
	}
	w.SetContent(container.NewBorder(container.NewVBox(saved.resetBanner(), al.box), nil, nil, nil, tabs))
	w.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("Horcrux",
		fyne.NewMenuItem("Settings…", func() {
			settingsDialog(w, prefs, tr != nil, al.engine.SetThresholds)
		}),
	)))
	w.Resize(saved.windowSize(screenSize()))

	saveSize := func() {
		s := w.Canvas().Size()
		if s.Width > 0 && s.Height > 0 {
			prefs.SetFloat(prefWidth, float64(s.Width))
			prefs.SetFloat(prefHeight, float64(s.Height))
		}
	}
	quit := func() { saveSize(); a.Quit() }
	tr = newTray(a, w, func(host int, uuid string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
			defer cancel()
			if err := cons.Open(ctx, host, uuid); err != nil {
				fyne.Do(func() {
					w.Show()
					dialog.ShowError(err, w)
				})
			}
		}()
	}, quit)
	w.SetCloseIntercept(func() {
		saveSize()
		if tr != nil && prefs.Bool(prefKeepInTray) {
			w.Hide()
			tr.hidden()
			return
		}
		a.Quit()
	})
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierControl},
		func(fyne.Shortcut) { quit() })

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// A signal ends the loop as Fyne's own handler does, with the driver's
	// Quit. Once the loop is over fyne.Do runs its function at once on this
	// goroutine: the driver's Quit is then a no-op, where app.Quit would
	// close windows off the main goroutine.
	wg.Go(func() {
		select {
		case <-sigs:
			fyne.Do(a.Driver().Quit)
		case <-ctx.Done():
		}
	})
	// Sampling starts once the window is up, so a slow first libvirt or
	// Docker call never competes with opening it.
	a.Lifecycle().SetOnStarted(func() {
		wg.Go(func() { coll.Run(ctx) })
		if exp != nil {
			wg.Go(func() {
				if err := exporter.Serve(ctx, opts.MetricsListen, exp); err != nil {
					fyne.Do(func() { dialog.ShowError(fmt.Errorf("metrics exporter: %w", err), w) })
				}
			})
		}
	})
	// The collector must be gone before the app's goroutine is.
	// Every way out (Ctrl+Q, closing, a signal) saves the window size here.
	a.Lifecycle().SetOnStopped(func() { saveSize(); cancel(); wg.Wait() })

	w.ShowAndRun()
	cancel()
	wg.Wait()
	return nil
}

// hostList splits a Settings list of hosts, one per line, skipping blanks
// and repeats.
func hostList(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}
