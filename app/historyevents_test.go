package app

import (
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestAlertsOnTheTimeline: an alert raised and then cleared is recorded
// as two events about the host, at the snapshots' times.
func TestAlertsOnTheTimeline(t *testing.T) {
	var got []history.Event
	a := newAlerting(alerts.Thresholds{CPUPercent: 90}, func(string, string) {})
	a.record = func(e history.Event) { got = append(got, e) }
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cpu := func(sec int, v float64) *model.Snapshot {
		at := t0.Add(time.Duration(sec) * time.Second)
		return &model.Snapshot{Time: at, Host: model.HostStats{Time: at, CPUPercent: v, CPUPerCorePercent: []float64{v}, MemTotal: 100, MemUsed: 10}}
	}
	a.observe(cpu(0, 10))
	a.observe(cpu(1, 99))
	a.observe(cpu(2, 99))
	a.observe(cpu(3, 10))
	if len(got) != 2 {
		t.Fatalf("events %+v, want raised and cleared", got)
	}
	for i, want := range []struct {
		action string
		sec    int
	}{{"raised", 1}, {"cleared", 3}} {
		e := got[i]
		if e.Kind != history.EventAlert || e.Action != want.action || e.Item != history.HostItem || e.Name == "" ||
			!e.Time.Equal(t0.Add(time.Duration(want.sec)*time.Second)) {
			t.Errorf("event %d: %+v, want alert %s about the host at +%d s", i, e, want.action, want.sec)
		}
	}
}

func TestAlertItem(t *testing.T) {
	for key, want := range map[string]string{
		"host/cpu":                  history.HostItem,
		"vm/u1/stopped":             history.VMItem("u1"),
		"vm/u1/fs:/var":             history.VMItem("u1"),
		"container/abc/exited":      history.ContainerItem("abc"),
		"container/abc/restarts":    history.ContainerItem("abc"),
		"something-new/without/key": history.HostItem,
	} {
		if got := alertItem(key); got != want {
			t.Errorf("alertItem(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestConsoleEvent(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	open := consoleEvent(at, console.SessionEvent{Session: console.SessionInfo{Kind: console.VNC, VM: "web", UUID: "u1"}})
	if open.Kind != history.EventConsole || open.Action != "opened" || open.Item != history.VMItem("u1") || open.Name != "web" ||
		open.Detail != "VNC" || !open.Time.Equal(at) {
		t.Errorf("VNC opened: %+v", open)
	}
	shut := consoleEvent(at, console.SessionEvent{Session: console.SessionInfo{Kind: console.Shell, VM: "db", UUID: "c1"},
		Ended: true, Reason: "the shell in db ended"})
	if shut.Action != "closed" || shut.Item != history.ContainerItem("c1") || !strings.HasSuffix(shut.Detail, ": the shell in db ended") {
		t.Errorf("shell closed: %+v", shut)
	}
}

// TestDiagnosticsDescribeTheOpenStore: the Diagnostics tab asks the store
// the window records into, not a copy of its file.
func TestDiagnosticsDescribeTheOpenStore(t *testing.T) {
	st, err := history.Open(t.TempDir(), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := testWindow(t)
	w.history = st
	c := w.doctorConfig()
	if c.History == nil {
		t.Fatal("no history check configured")
	}
	in, err := c.History()
	if err != nil || in.Path != st.Path() {
		t.Errorf("history info %+v, %v; want the open store at %s", in, err, st.Path())
	}
}
