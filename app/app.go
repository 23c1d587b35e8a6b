// Package app is the Horcrux desktop window: it wires the collector to the
// views and keeps the user's layout.
package app

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/collector"
)

// ID is the application ID; it names the preferences store and must match
// FyneApp.toml.
const ID = "io.github.horcrux-desktop"

// Options are the settings the command line passes to the window.
type Options struct {
	Connect    string        // libvirt URI, "" for the default
	DockerHost string        // Docker engine address, "" for DOCKER_HOST or the default socket
	Interval   time.Duration // refresh period
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
)

// Run opens the Horcrux window and returns when the user quits.
func Run(opts Options) error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	a := fyneapp.NewWithID(ID)
	prefs := a.Preferences()
	w := a.NewWindow("Horcrux")
	w.SetMaster()

	window := time.Duration(prefs.IntWithFallback(prefRange, int(time.Minute/time.Second))) * time.Second
	var coll *collector.Collector
	hv := newHostView(window, func(d time.Duration) {
		prefs.SetInt(prefRange, int(d/time.Second))
		coll.SetWindow(d)
	})
	ui := &handoff[collector.Snapshot]{do: fyne.Do, apply: hv.show}
	coll = collector.New(collector.Config{Interval: opts.Interval, Window: window, OnUpdate: ui.Offer})

	tabs := container.NewAppTabs(
		container.NewTabItem("Host", hv.root),
		container.NewTabItem("Machines", placeholder("Virtual machines from libvirt will be listed here.")),
		container.NewTabItem("Containers", placeholder("Containers from Docker or Podman will be listed here.")),
	)
	tabs.SelectIndex(prefs.IntWithFallback(prefTab, 0))
	tabs.OnSelected = func(*container.TabItem) { prefs.SetInt(prefTab, tabs.SelectedIndex()) }
	w.SetContent(tabs)
	w.Resize(fyne.NewSize(
		float32(prefs.FloatWithFallback(prefWidth, 1100)),
		float32(prefs.FloatWithFallback(prefHeight, 720)),
	))

	saveSize := func() {
		s := w.Canvas().Size()
		if s.Width > 0 && s.Height > 0 {
			prefs.SetFloat(prefWidth, float64(s.Width))
			prefs.SetFloat(prefHeight, float64(s.Height))
		}
	}
	w.SetCloseIntercept(func() { saveSize(); w.Close() })
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierControl},
		func(fyne.Shortcut) { saveSize(); a.Quit() })

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { coll.Run(ctx) })
	// The collector must be gone before the app's goroutine is.
	a.Lifecycle().SetOnStopped(func() { cancel(); wg.Wait() })

	w.ShowAndRun()
	cancel()
	wg.Wait()
	return nil
}

func placeholder(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Alignment = fyne.TextAlignCenter
	return container.NewCenter(l)
}
