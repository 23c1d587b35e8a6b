package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/exporter"
	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/registry"
)

// tab names the window's tabs, in their order.
type tab int

const (
	tabHost tab = iota
	tabMachines
	tabContainers
	tabDiagnostics
)

// view is a tab's content: render brings it up to date with a snapshot and
// returns at once when the parts it shows did not change.
type view interface {
	render(s *model.Snapshot)
}

// window is the Horcrux window and what it is wired to. Its fields are
// used on the UI goroutine, but for the collector and the exporter.
type window struct {
	app      fyne.App
	win      fyne.Window
	prefs    fyne.Preferences
	hosts    *registry.Registry
	consoles *console.Launcher
	coll     *collector.Collector
	exp      *exporter.Exporter // nil unless metrics are served

	history  historyReader // nil when Horcrux runs without its store
	jobs     *jobs         // background work the window owns
	ui       *handoff[model.Snapshot]
	last     *model.Snapshot
	alerts   *alerting
	tray     *tray // nil without a session bus
	tabs     *container.AppTabs
	views    [tabDiagnostics + 1]view
	host     *hostView
	vmTab    *resourceTab[model.VMSection, model.Machine]
	ctTab    *resourceTab[model.ContainerSection, model.Container]
	vmPast   pastItem // the selected VM's charts of the past, as last read
	ctPast   pastItem
	sessions *sessionsPanel
	diag     *diagnostics

	// onScreen reports whether the window can be seen: not hidden to the
	// tray, not minimised. While it cannot, snapshots reach the alerts and
	// the tray only, and behind notes that the views wait for one.
	onScreen func() bool
	behind   bool
	mapped   *xMapped // the X map state, while the real window runs
}

// newWindow builds the window and its tabs; Run adds the collector.
func newWindow(a fyne.App, saved savedPrefs, hosts *registry.Registry, consoles *console.Launcher) *window {
	w := &window{app: a, win: a.NewWindow("Horcrux"), prefs: a.Preferences(), hosts: hosts, consoles: consoles, jobs: newJobs()}
	w.win.SetMaster()
	w.ui = &handoff[model.Snapshot]{do: fyne.Do, apply: w.apply}
	w.onScreen = func() bool { return (w.tray == nil || w.tray.shown) && w.mapped.viewable(w.win) }
	w.alerts = newAlerting(saved.thresholds, func(title, body string) {
		a.SendNotification(fyne.NewNotification("Horcrux: "+title, body))
	})
	w.host = newHostView(saved.window, w.setChartWindow,
		w.exportRangeCSV, func() { exportPNG(w.win, w.host, w.showFolder) })
	for _, c := range w.host.charts() {
		c.OnZoom, c.OnTap = w.zoomPast, w.showMoment
	}
	w.host.lists.jobs = w.jobs
	machines := newResourceTab(w.win, w.jobs, machineKind(machineHooks{
		hosts:   w.machineActors,
		expect:  func(uuid string) { w.alerts.engine.Expect(alerts.KindVM, uuid, time.Now().Add(expectFor)) },
		console: w.openConsole,
		details: func(host int, m model.Machine) {
			if h, ok := w.machineAt(host); ok {
				showDetails(w.app, w.jobs, h, m)
			}
		},
		snapshots: func(host int, m model.Machine) {
			if h, ok := w.machineAt(host); ok {
				showSnapshots(w.app, w.jobs, h, m)
			}
		},
	}), func(k string) { w.coll.SelectVM(k) })
	w.sessions = newSessionsPanel(consoles.CloseSession)
	machines.bottom.Add(w.sessions.root)
	containers := newResourceTab(w.win, w.jobs, containerKind(containerHooks{
		hosts:  w.engines,
		expect: func(id string) { w.alerts.engine.Expect(alerts.KindContainer, id, time.Now().Add(expectFor)) },
		logs:   func(e containerEngine, id, name string) { showLogs(a, w.jobs, e, id, name) },
		shell:  w.openShell,
	}), func(k string) { w.coll.SelectContainer(k) })
	w.vmTab, w.ctTab = machines, containers
	machines.past, containers.past = w.host.past, w.host.past
	live := func() { w.setChartWindow(w.host.lastLive) }
	machines.setRange(newRangeBar(saved.window, w.host.past(), w.setChartWindow, live), w.zoomPast)
	containers.setRange(newRangeBar(saved.window, w.host.past(), w.setChartWindow, live), w.zoomPast)
	w.diag = newDiagnostics(w.jobs, w.doctorConfig)
	w.views = [...]view{w.host, withSessions{machines, w}, containers, w.diag}
	w.tabs = container.NewAppTabs(
		container.NewTabItem("Host", w.host.root),
		container.NewTabItem("Machines", machines.root),
		container.NewTabItem("Containers", containers.root),
		container.NewTabItem("Diagnostics", w.diag.root),
	)
	for _, b := range []*widget.Button{w.host.diagnose, machines.diagnose, containers.diagnose} {
		b.OnTapped = w.diagnose
	}
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) {
			switch tab(w.tabs.SelectedIndex()) {
			case tabMachines:
				machines.focusFilter()
			case tabContainers:
				containers.focusFilter()
			}
		})
	w.tabs.SelectIndex(saved.tab)
	w.tabs.OnSelected = func(*container.TabItem) {
		w.prefs.SetInt(prefTab, w.tabs.SelectedIndex())
		w.renderVisible()
	}
	w.tray = newTray(a, w.win, func(host int, uuid string) {
		w.jobs.Go(func(ctx context.Context) { w.consoleFromTray(ctx, host, uuid) })
	}, func(host int, id string) {
		w.jobs.Go(func(context.Context) { w.shellFromTray(host, id) })
	}, w.quit)
	w.win.SetContent(container.NewBorder(container.NewVBox(saved.resetBanner(), w.alerts.box), nil, nil, nil, w.tabs))
	w.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("Horcrux", fyne.NewMenuItem("Settings…", w.settings),
		fyne.NewMenuItem("History…", func() { st, _ := w.history.(limitsSetter); historySettingsDialog(w.win, w.prefs, st) }))))
	w.win.Resize(saved.windowSize(screenSize()))
	return w
}

// offer hands a snapshot from the collector to the exporter and the UI.
func (w *window) offer(s *model.Snapshot) {
	if w.exp != nil {
		w.exp.Update(s)
	}
	w.ui.Offer(s)
}

// apply is the one place snapshots reach the UI goroutine: the alerts and
// the tray see every one, and only the visible tab is brought up to date.
func (w *window) apply(s *model.Snapshot) {
	listsChanged := w.last == nil || s.Versions.VMs != w.last.Versions.VMs || s.Versions.Containers != w.last.Versions.Containers
	w.last = s
	w.alerts.observe(s)
	if w.tray != nil && listsChanged {
		w.tray.setVMs(runningVMs(s.VMs), runningContainers(s.Containers))
	}
	w.present()
}

// present brings the visible tab up to date with the last snapshot, and
// reads the past it shows when due; nothing for a window no one sees:
// catchUp draws it when it shows again.
func (w *window) present() {
	if !w.onScreen() {
		w.behind = true
		return
	}
	w.behind = false
	w.renderVisible()
	if h := w.host; h.window > liveWindow && h.zoomEnd.IsZero() && (h.pastAt.IsZero() || time.Since(h.pastAt) > pastRefresh(h.window)) &&
		w.tabs.SelectedIndex() == int(tabHost) {
		w.readPast()
	}
}

// catchUp shows the last snapshot when the window is seen again after
// snapshots went by unseen (on coming to the foreground; else the next
// snapshot does it).
func (w *window) catchUp() {
	if w.behind && w.last != nil {
		w.present()
	}
}

// renderVisible brings the visible tab up to date with the last snapshot.
func (w *window) renderVisible() {
	if w.last != nil {
		w.views[w.tabs.SelectedIndex()].render(w.last)
	}
	switch tab(w.tabs.SelectedIndex()) {
	case tabHost:
		if w.host.past() && w.host.pastAt.IsZero() {
			w.readPast() // the range changed while another tab was shown
		}
	case tabMachines:
		syncPastItem(w, w.vmTab, &w.vmPast)
	case tabContainers:
		syncPastItem(w, w.ctTab, &w.ctPast)
	}
}

// withSessions is the Machines tab with its console sessions panel.
type withSessions struct {
	view
	w *window
}

func (v withSessions) render(s *model.Snapshot) {
	v.view.render(s)
	v.w.sessions.show(v.w.consoles.Sessions(), time.Now())
}

func (w *window) diagnose() {
	w.tabs.SelectIndex(int(tabDiagnostics))
	w.diag.run()
}

func (w *window) setChartWindow(d time.Duration) {
	w.prefs.SetInt(prefRange, int(d/time.Second))
	w.coll.SetWindow(collectorWindow(d))
	w.host.window, w.host.pastAt, w.host.zoomEnd = d, time.Time{}, time.Time{}
	if d <= liveWindow {
		w.host.lastLive = d
	}
	w.showRange()
	if !w.host.past() && w.last != nil {
		w.host.fresh = false // redraw the live charts now
		w.host.render(w.last)
	}
	w.renderVisible() // reads the past for the visible tab
}

// showRange brings every range bar, Live and the events panel up to the
// chart range.
func (w *window) showRange() {
	w.host.showMode()
	past := w.host.past()
	if w.vmTab.bar.show(w.host.chosen(), past) {
		w.vmTab.root.Refresh()
	}
	if w.ctTab.bar.show(w.host.chosen(), past) {
		w.ctTab.root.Refresh()
	}
}

// doctorConfig is what the Diagnostics tab checks: the hosts, and the
// history store this window records into rather than a copy of its file.
func (w *window) doctorConfig() doctor.Config {
	c := w.hosts.Doctor()
	if st, ok := w.history.(interface{ Info() history.Info }); ok {
		c.History = func() (history.Info, error) { return st.Info(), nil }
	}
	return c
}

// zoomPast shows [from, to) from the store: a range dragged across a chart
// of the host or of a selected VM or container.
func (w *window) zoomPast(from, to time.Time) {
	w.host.window, w.host.zoomEnd, w.host.pastAt = to.Sub(from), to, time.Time{}
	w.showRange()
	w.renderVisible() // reads the range for the visible tab
}

// showMoment reads the top VMs and containers at a clicked moment and the
// events around it on a job, and shows them below the charts.
func (w *window) showMoment(at time.Time) {
	h, ok := w.history.(momentReader)
	if !ok {
		return
	}
	w.host.moment.SetText("Reading " + at.Local().Format("Jan 2 15:04:05") + "…")
	if !w.host.past() && !w.host.below.Visible() {
		// A click on a live chart: the panel shows the moment alone.
		w.host.events.SetText("")
		w.host.below.Show()
		w.host.root.Refresh()
	}
	w.jobs.Go(func(context.Context) {
		text := describeMoment(h, at)
		fyne.Do(func() { w.host.moment.SetText(text) })
	})
}

// readPast reads the host charts of the chosen window from the history
// store on a job and shows them, unless another window was chosen since.
func (w *window) readPast() {
	d, zoomEnd, now := w.host.window, w.host.zoomEnd, time.Now()
	end := now
	if !zoomEnd.IsZero() {
		end = zoomEnd
	}
	w.host.pastAt = now // a read is under way: apply does not start another
	if w.history == nil {
		w.host.showPast(pastHost{}, errors.New("Horcrux runs without its history store (see the message it printed at start)"), now)
		return
	}
	var facts hostFacts
	if w.last != nil {
		// The scale the live memory chart has: swap may be larger than memory.
		facts = hostFacts{memTotal: float64(max(w.last.Host.MemTotal, w.last.Host.SwapTotal)), cores: len(w.last.Host.CPUPerCorePercent)}
	}
	h := w.history
	w.jobs.Go(func(ctx context.Context) {
		p, err := readPastHost(h, end, d, pastPoints, facts)
		fyne.Do(func() {
			if w.host.window == d && w.host.zoomEnd.Equal(zoomEnd) {
				w.host.showPast(p, err, now)
			}
		})
	})
}

// pastPoints is how many buckets a chart of the past asks for: about a
// wide chart's width in pixels.
const pastPoints = 600

// pastRefresh is how often a chart of the past is read again while shown.
func pastRefresh(window time.Duration) time.Duration { return max(time.Minute, window/pastPoints) }

// machineActors and engines are the registry's hosts in the collector's order.
func (w *window) machineActors() []machineActor {
	hs := w.hosts.Machines()
	out := make([]machineActor, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// machineAt is the libvirt host at position i, or false after saying it is gone.
func (w *window) machineAt(i int) (*registry.MachineHost, bool) {
	h, err := hostAt(w.hosts.Machines(), i)
	if err != nil {
		dialog.ShowError(fmt.Errorf("cannot open the machine: %w", err), w.win)
		return nil, false
	}
	return h, true
}

func (w *window) engines() []containerEngine {
	es := w.hosts.Engines()
	out := make([]containerEngine, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// openConsole resolves a console of VM uuid on libvirt host number host
// ("" kind: the one it has, graphics first) and opens it in the browser.
// It blocks: call it off the UI goroutine.
func (w *window) openConsole(ctx context.Context, host int, uuid string, kind console.Kind) error {
	h, err := hostAt(w.hosts.Machines(), host)
	if err != nil {
		return err
	}
	t, err := h.Console(ctx, uuid, kind)
	if err != nil {
		return err
	}
	_, err = w.consoles.Launch(t)
	return err
}

// openShell opens a shell in container id of engine number host in the browser.
func (w *window) openShell(host int, id string) error {
	e, err := hostAt(w.hosts.Engines(), host)
	if err != nil {
		return err
	}
	_, err = w.consoles.Launch(e.Shell(id, nil))
	return err
}

func (w *window) shellFromTray(host int, id string) {
	if err := w.openShell(host, id); err != nil {
		fyne.Do(func() {
			w.win.Show()
			dialog.ShowError(err, w.win)
		})
	}
}

func (w *window) consoleFromTray(ctx context.Context, host int, uuid string) {
	ctx, cancel := context.WithTimeout(ctx, actTimeout)
	defer cancel()
	if err := w.openConsole(ctx, host, uuid, ""); err != nil {
		fyne.Do(func() {
			w.win.Show()
			dialog.ShowError(err, w.win)
		})
	}
}

// settings opens the Settings dialog; hosts it adds or removes apply at once.
func (w *window) settings() {
	settingsDialog(w.win, w.prefs, w.tray != nil, settingsApply{
		thresholds: w.alerts.engine.SetThresholds,
		hosts:      w.setMoreHosts,
	})
}

// setMoreHosts applies the hosts added in Settings to the registry and
// the collector at once.
func (w *window) setMoreHosts(uris, engines []string) {
	w.hosts.SetMore(uris, engines)
	w.coll.SetHosts(w.hosts.Sources())
}

func (w *window) saveSize() {
	s := w.win.Canvas().Size()
	if s.Width > 0 && s.Height > 0 {
		w.prefs.SetFloat(prefWidth, float64(s.Width))
		w.prefs.SetFloat(prefHeight, float64(s.Height))
	}
}

// quit ends the loop; show saves the window size after it.
func (w *window) quit() { w.app.Quit() }

// quitOnSignal quits on the first of sigs, until ctx ends after the loop.
// It ends the loop as Fyne's own handler (which gets the signal too) does,
// with the driver's Quit: once the loop is over, fyne.Do runs its function
// at once on this goroutine, and the driver's Quit is then a no-op where
// app.Quit would close windows off the main goroutine.
func (w *window) quitOnSignal(ctx context.Context, sigs <-chan os.Signal) {
	select {
	case <-sigs:
		fyne.Do(w.app.Driver().Quit)
	case <-ctx.Done():
	}
}

// show runs the window until the user quits, with the collector (and the
// exporter, at metricsAt) running from when it is up to when it closes.
func (w *window) show(sigs <-chan os.Signal, metricsAt string) {
	w.win.SetCloseIntercept(func() {
		if w.tray != nil && w.prefs.Bool(prefKeepInTray) {
			w.win.Hide()
			w.tray.hidden()
			return
		}
		w.app.Quit()
	})
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierControl},
		func(fyne.Shortcut) { w.quit() })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.quitOnSignal(ctx, sigs) })
	// Sampling starts once the window is up, so a slow first libvirt or
	// Docker call never competes with opening it.
	w.mapped = newXMapped()
	w.app.Lifecycle().SetOnEnteredForeground(w.catchUp)
	w.app.Lifecycle().SetOnStarted(func() {
		wg.Go(func() { w.coll.Run(ctx) })
		if w.exp != nil {
			wg.Go(func() {
				if err := exporter.Serve(ctx, metricsAt, w.exp); err != nil {
					fyne.Do(func() { dialog.ShowError(fmt.Errorf("metrics exporter: %w", err), w.win) })
				}
			})
		}
	})
	// Once the loop is over, however it ended (Ctrl+Q, closing, a signal):
	// the window size is saved, the collector stopped, then the preferences
	// written. The size is not saved before the loop ends: Fyne's watcher of
	// the preferences file would then race with Fyne's shutdown.
	writePrefs := takeStoppedHooks(w.app.Lifecycle())
	w.win.ShowAndRun()
	w.saveSize()
	cancel()
	wg.Wait()
	w.jobs.close()
	w.mapped.close()
	writePrefs()
}

// takeStoppedHooks removes the functions Fyne runs when its loop ends (its
// preferences' last write) and returns them. Fyne 2.7.1 hands them to its
// event goroutine as the loop closes its queue of work for the main
// goroutine; that goroutine can then send on the closed queue and end the
// process with "send on closed channel" (exit 2) instead of a clean quit.
func takeStoppedHooks(lc fyne.Lifecycle) func() {
	type stoppedHooks interface {
		OnStopped() func()
		SetOnStoppedHookExecuted(func())
	}
	h, ok := lc.(stoppedHooks)
	if !ok {
		return func() {}
	}
	lc.SetOnStopped(nil)
	f := h.OnStopped()
	h.SetOnStoppedHookExecuted(nil)
	if f == nil {
		return func() {}
	}
	return f
}
