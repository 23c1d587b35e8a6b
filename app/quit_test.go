package app

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/exporter"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/registry"
	"github.com/horcrux-desktop/horcrux/internal/faults"
	"github.com/horcrux-desktop/horcrux/internal/leaktest"
)

// loopApp stands in, in process, for the desktop driver's loop on Fyne's
// test app: a window's ShowAndRun runs OnStarted, then the functions handed
// to the UI, until the driver's Quit, then OnStopped, as the GLFW driver
// does.
type loopApp struct {
	fyne.App
	ui   chan func()
	quit chan struct{}
	once sync.Once
}

func (a *loopApp) NewWindow(title string) fyne.Window {
	return &loopWindow{Window: a.App.NewWindow(title), app: a}
}

func (a *loopApp) Driver() fyne.Driver { return loopDriver{a.App.Driver(), a} }

func (a *loopApp) Quit() { a.once.Do(func() { close(a.quit) }) }

// do hands f to the loop, as fyne.Do does; the hand-off keeps at most one
// pending.
func (a *loopApp) do(f func()) {
	select {
	case a.ui <- f:
	default:
	}
}

type loopDriver struct {
	fyne.Driver
	app *loopApp
}

func (d loopDriver) Quit() { d.app.Quit() }

type loopWindow struct {
	fyne.Window
	app *loopApp
}

func (w *loopWindow) ShowAndRun() {
	w.Show()
	lc := w.app.Lifecycle().(interface {
		OnStarted() func()
		OnStopped() func()
	})
	if f := lc.OnStarted(); f != nil {
		f()
	}
	for {
		select {
		case f := <-w.app.ui:
			f()
		case <-w.app.quit:
			if f := lc.OnStopped(); f != nil {
				f()
			}
			return
		}
	}
}

// TestQuitWithHungHosts: the window, with a libvirt host and an engine
// that never answer beside a working one, quits on SIGTERM within 1 s and
// leaves no goroutine behind (the collector, the exporter, the hosts'
// sources and the consoles all end) but the call stuck in libvirt's C
// library, which nothing can interrupt; that one ends too once the hung
// daemon hangs up.
func TestQuitWithHungHosts(t *testing.T) {
	a := &loopApp{App: test.NewTempApp(t), ui: make(chan func(), 1), quit: make(chan struct{})}
	hungLibvirt, hangUpLibvirt := faults.HungDaemon(t)
	hungEngine, hangUpEngine := faults.HungDaemon(t)
	before := goleak.IgnoreCurrent()

	// As Run assembles the window.
	hosts := registry.New(registry.Config{Connect: "test:///default", DockerHost: "unix://" + hungEngine,
		MoreURIs: []string{"qemu+unix:///system?socket=" + hungLibvirt}})
	consoles := console.NewLauncher(console.Config{}, nil)
	w := newWindow(a, defaultPrefs(), hosts, consoles)
	w.ui.do = a.do
	snaps := make(chan *model.Snapshot, 1)
	w.coll = collector.New(collector.Config{Interval: 100 * time.Millisecond, OnUpdate: func(s *model.Snapshot) {
		w.offer(s)
		select {
		case snaps <- s:
		default:
		}
	}})
	w.coll.SetHosts(hosts.Sources())
	w.exp = exporter.New()

	sigs := make(chan os.Signal, 1)
	var sent time.Time
	go func() {
		// Once the working host is listed, the hung ones are being waited on.
		for s := range snaps {
			if len(s.VMs) == 2 && s.VMs[0].IsUp() {
				break
			}
		}
		time.Sleep(time.Second) // a refresh of each hung host is in flight
		sent = time.Now()
		sigs <- syscall.SIGTERM
	}()
	w.show(sigs, "127.0.0.1:0")
	t.Logf("the loop and its goroutines ended %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	consoles.Close()
	hosts.Close()
	t.Logf("the hosts closed %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if took := time.Since(sent); took > time.Second {
		t.Errorf("the window took %s to quit with hung hosts", took.Round(time.Millisecond))
	}
	// Left behind: only the libvirt call in flight, closed behind the quit.
	inLibvirt := goleak.IgnoreAnyFunction("github.com/horcrux-desktop/horcrux/backend/vm.(*Source).refreshInFlight")
	if err := goleak.Find(leaktest.Options(before, inLibvirt)...); err != nil {
		t.Errorf("after the window quit: %v", err)
	}
	hangUpLibvirt()
	hangUpEngine()
	if err := goleak.Find(leaktest.Options(before)...); err != nil {
		t.Errorf("once the hung daemons hung up: %v", err)
	}
}

// TestLoopEndsWithNothingQueued: Fyne has nothing of its own or of ours to
// run as its loop ends (where it would race with the loop closing its queue);
// the preferences' last write it had is returned and still writes.
func TestLoopEndsWithNothingQueued(t *testing.T) {
	a := test.NewTempApp(t)
	lc := a.Lifecycle()
	var written bool
	lc.SetOnStopped(func() {})
	lc.(interface{ SetOnStoppedHookExecuted(func()) }).SetOnStoppedHookExecuted(func() { written = true })
	write := takeStoppedHooks(lc)
	if f := lc.(interface{ OnStopped() func() }).OnStopped(); f != nil {
		t.Fatal("Fyne still runs a function on its event goroutine as the loop ends")
	}
	write()
	if !written {
		t.Fatal("the preferences' last write was dropped")
	}
}
