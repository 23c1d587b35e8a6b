package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/registry"
)

// testWindow is the whole window on Fyne's test driver, wired to libvirt's
// test driver and an engine that is not there; nothing polls them.
func testWindow(t testing.TB) *window {
	t.Helper()
	a := test.NewTempApp(t)
	hosts := registry.New(registry.Config{Connect: "test:///default", DockerHost: "unix://" + filepath.Join(t.TempDir(), "none.sock")})
	t.Cleanup(func() { hosts.Close() })
	consoles := console.NewLauncher(console.Config{}, nil)
	t.Cleanup(func() { consoles.Close() })
	w := newWindow(a, defaultPrefs(), hosts, consoles)
	w.coll = collector.New(collector.Config{})
	w.ui.do = func(f func()) { f() }
	w.win.Resize(fyne.NewSize(1100, 720))
	return w
}

// manyVMs is a snapshot with n machines on one host, the host charts and
// versions as the collector numbers them.
func manyVMs(n int) *model.Snapshot {
	s := fakeSnapshot(2, nil)
	items := make([]model.Machine, n)
	for i := range items {
		items[i] = model.Machine{Name: fmt.Sprintf("vm-%04d", i), UUID: fmt.Sprintf("uuid-%04d", i), State: model.VMRunning, VCPUs: 1, CPUPercent: f64(float64(i % 50))}
	}
	s.VMs = []model.VMSection{{URI: "test:///default", Availability: model.Available(), Items: items}}
	s.Versions = model.Versions{Host: 1, Charts: 1, VMs: 1}
	return s
}

// hostTick is s after one host sample: new host figures and charts, the
// VM list as it was.
func hostTick(s *model.Snapshot) *model.Snapshot {
	next := *s
	next.Versions.Host++
	next.Versions.Charts++
	return &next
}

// TestViewsSkipWhatDidNotChange: a host sample costs the Machines tab
// nothing, and a VM refresh costs the Host tab's charts nothing.
func TestViewsSkipWhatDidNotChange(t *testing.T) {
	w := testWindow(t)
	machines := w.views[tabMachines].(withSessions).view.(*resourceTab[model.VMSection, model.Machine])
	w.tabs.SelectIndex(int(tabMachines))
	s := manyVMs(50)
	w.apply(s)
	rows := &machines.table.rows[0]
	w.apply(hostTick(s))
	if &machines.table.rows[0] != rows {
		t.Error("a host sample rebuilt the Machines table")
	}
	next := *s
	next.Versions.VMs++
	next.VMs = []model.VMSection{{URI: "test:///default", Availability: model.Available(), Items: []model.Machine{{Name: "only", UUID: "u"}}}}
	w.apply(&next)
	if len(machines.table.rows) != 1 {
		t.Errorf("a new VM list was not shown: %d rows", len(machines.table.rows))
	}

	w.tabs.SelectIndex(int(tabHost))
	w.apply(s)
	cpu := w.host.cpu.Refreshes()
	vmOnly := *s
	vmOnly.Versions.VMs++
	w.apply(&vmOnly)
	if got := w.host.cpu.Refreshes(); got != cpu {
		t.Errorf("a VM refresh redrew the host charts (%d -> %d)", cpu, got)
	}
	// New charts data (the collector hands over fresh slices) is drawn.
	fresh := hostTick(s)
	fresh.Charts = fakeSnapshot(2, nil).Charts
	w.apply(fresh)
	if got := w.host.cpu.Refreshes(); got != cpu+1 {
		t.Errorf("new host charts drawn %d times, want once", got-cpu)
	}
}

// BenchmarkIdleTick is the UI work of one snapshot in which nothing the
// visible tab shows changed: 1000 VMs on the Machines tab and a new host
// sample. It runs the whole hand-off: alerts, tray and the visible tab.
func BenchmarkIdleTick(b *testing.B) {
	w := testWindow(b)
	w.tabs.SelectIndex(int(tabMachines))
	s := manyVMs(1000)
	w.apply(s)
	charts := w.host.cpu.Refreshes()
	for b.Loop() {
		s = hostTick(s)
		w.apply(s)
	}
	if w.host.cpu.Refreshes() != charts {
		b.Fatal("a chart of a hidden tab was refreshed")
	}
}

// testJobs are jobs closed when the test ends.
func testJobs(t testing.TB) *jobs {
	j := newJobs()
	t.Cleanup(j.close)
	return j
}

// TestJobsEndWithTheWindow: an action still running when the window closes
// sees its context end, and no goroutine is left behind.
func TestJobsEndWithTheWindow(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	j := newJobs()
	started := make(chan struct{})
	var sawEnd bool
	j.Go(func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		sawEnd = true
	})
	<-started
	j.close()
	if !sawEnd {
		t.Fatal("close returned before the job saw its context end")
	}
}

// TestSettingsHostsApplyAtOnce: a libvirt host added in Settings is polled
// and shown without a restart, and goes when removed.
func TestSettingsHostsApplyAtOnce(t *testing.T) {
	w := testWindow(t)
	snaps := make(chan *model.Snapshot, 100)
	w.coll = collector.New(collector.Config{Interval: 20 * time.Millisecond, OnUpdate: func(s *model.Snapshot) {
		select {
		case snaps <- s:
		default:
		}
	}})
	w.coll.SetHosts(w.hosts.Sources())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.coll.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, ok func(*model.Snapshot) bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case s := <-snaps:
				if ok(s) {
					return
				}
			case <-deadline:
				t.Fatalf("no snapshot where %s", what)
			}
		}
	}
	node := filepath.Join(t.TempDir(), "node.xml")
	doc := "<node><domain type='test'><name>far</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain></node>"
	if err := os.WriteFile(node, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	w.setMoreHosts([]string{"test://" + node}, nil)
	waitFor("the added host lists its VM", func(s *model.Snapshot) bool {
		return len(s.VMs) == 2 && s.VMs[1].IsUp() && len(s.VMs[1].Items) == 1 && s.VMs[1].Items[0].Name == "far"
	})
	w.setMoreHosts(nil, nil)
	waitFor("the removed host is gone", func(s *model.Snapshot) bool { return len(s.VMs) == 1 })
	if n := len(w.hosts.Machines()); n != 1 {
		t.Errorf("%d libvirt hosts in the registry after removing", n)
	}
}

// TestSessionsPanel lists open console sessions with a Close button each,
// and hides itself without any.
func TestSessionsPanel(t *testing.T) {
	test.NewTempApp(t)
	var closed []string
	p := newSessionsPanel(func(id string) { closed = append(closed, id) })
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ss := []console.SessionInfo{
		{ID: "s1", VM: "web", Started: now.Add(-90 * time.Second), BytesFromVM: 2 << 20, BytesToVM: 512},
		{ID: "s2", Kind: console.Serial, Device: "serial0", VM: "db", Started: now.Add(-5 * time.Second)},
	}
	p.show(ss, now)
	if !p.root.Visible() || len(p.texts) != 2 {
		t.Fatalf("visible %v with %d rows", p.root.Visible(), len(p.texts))
	}
	if got := p.texts[0].Text; got != "web (VNC) · 1m30s · 2 MiB in, 512 B out" {
		t.Errorf("row text %q", got)
	}
	if got := p.texts[1].Text; got != "db (serial console serial0) · 5s · 0 B in, 0 B out" {
		t.Errorf("row text %q", got)
	}
	row := p.rows.Objects[1].(*fyne.Container)
	for _, o := range row.Objects {
		if b, ok := o.(*widget.Button); ok {
			test.Tap(b)
		}
	}
	if len(closed) != 1 || closed[0] != "s2" {
		t.Errorf("Close closed %v", closed)
	}
	p.show(nil, now)
	if p.root.Visible() {
		t.Error("the panel shows without sessions")
	}
}

// recordingEngine records container actions and log requests.
type recordingEngine struct{ acted []string }

func (e *recordingEngine) Act(_ context.Context, id string, a model.ContainerAction) error {
	e.acted = append(e.acted, id+" "+a.String())
	return nil
}

func (e *recordingEngine) TimestampedLogs(context.Context, string, int, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("hello\n")), nil
}

// TestContainersTab renders engines through the generic tab: state lines,
// an Engine column with two engines, and actions on the right engine.
func TestContainersTab(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	a, b := &recordingEngine{}, &recordingEngine{}
	var expected, logs []string
	tab := newResourceTab(w, testJobs(t), containerKind(containerHooks{
		hosts:  func() []containerEngine { return []containerEngine{a, b} },
		expect: func(id string) { expected = append(expected, id) },
		logs:   func(_ containerEngine, id, _ string) { logs = append(logs, id) },
	}), func(string) {})
	ui := make(chan func(), 4)
	tab.uiDo = func(f func()) { ui <- f }
	w.SetContent(tab.root)
	w.Resize(fyne.NewSize(1200, 700))
	up := func(host, id, state string) model.ContainerSection {
		return model.ContainerSection{Host: host, Engine: "Docker 20.10.24 (API 1.41)", Availability: model.Available(),
			Items: []model.Container{{ID: id, Name: "web-" + id, State: state}}}
	}
	s := &model.Snapshot{Containers: []model.ContainerSection{up("unix:///a.sock", "c1", "running"), up("ssh://far", "c2", "exited")},
		Versions: model.Versions{Containers: 1}}
	tab.render(s)
	if want := "Docker 20.10.24 (API 1.41) at unix:///a.sock · 1 container, 1 running\nDocker 20.10.24 (API 1.41) at ssh://far · 1 container, 0 running"; tab.state.Text != want {
		t.Errorf("state %q", tab.state.Text)
	}
	if tab.table.cols[0].title != "Engine" {
		t.Errorf("two engines without an Engine column: %q", tab.table.cols[0].title)
	}
	tab.table.selectKey(model.ItemKey(1, "c2"))
	for _, btn := range tab.buttons {
		switch btn.Text {
		case "Start":
			if btn.Disabled() {
				t.Fatal("Start disabled for an exited container")
			}
			test.Tap(btn)
			(<-ui)()
		case "Stop":
			if !btn.Disabled() {
				t.Error("Stop enabled for an exited container")
			}
		}
	}
	if len(a.acted) != 0 || len(b.acted) != 1 || b.acted[0] != "c2 start" {
		t.Errorf("acted on a=%v b=%v", a.acted, b.acted)
	}
	down := *s
	down.Versions.Containers++
	down.Containers = []model.ContainerSection{{Host: "unix:///a.sock", Availability: model.Unavailable("Docker is not running at unix:///a.sock")}}
	tab.render(&down)
	if tab.state.Text != "Docker is not running at unix:///a.sock" || len(tab.table.rows) != 0 {
		t.Errorf("engine down: %q with %d rows", tab.state.Text, len(tab.table.rows))
	}
}
