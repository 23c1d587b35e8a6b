package app

import (
	"time"

	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

func f64(v float64) *float64 { return &v }

func machines(n int) []vmRow {
	out := make([]vmRow, n)
	for i := range out {
		out[i].where = "qemu:///system"
		out[i].it = model.Machine{
			Name: fmt.Sprintf("vm-%04d", i), UUID: fmt.Sprintf("uuid-%04d", i),
			State: model.VMRunning, VCPUs: 1 + i%4, MemoryBytes: uint64(i%8+1) << 30,
			CPUPercent: f64(float64(i % 97)), DiskReadBps: f64(float64(i)),
		}
		if i%3 == 0 {
			out[i].it.State, out[i].it.CPUPercent = model.VMShutoff, nil
		}
	}
	return out
}

func TestSortItems(t *testing.T) {
	cols := vmColumns()
	ms := machines(6) // CPU: nil,1,2,nil,4,5
	sortItems(ms, cols[4], true)
	var got []string
	for _, m := range ms {
		got = append(got, m.it.Name)
	}
	want := "vm-0005 vm-0004 vm-0002 vm-0001 vm-0000 vm-0003"
	if strings.Join(got, " ") != want {
		t.Fatalf("by CPU, descending: %v, want %s (unknown last, ties keep order)", got, want)
	}
	sortItems(ms, cols[0], false)
	if ms[0].it.Name != "vm-0000" || ms[5].it.Name != "vm-0005" {
		t.Fatalf("by name: %v", ms)
	}
}

func plain(ms []vmRow) []model.Machine {
	out := make([]model.Machine, len(ms))
	for i := range ms {
		out[i] = ms[i].it
	}
	return out
}

func TestVMState(t *testing.T) {
	down := model.VMSection{URI: "qemu:///system", Availability: model.Unavailable("libvirt is not installed: VM list disabled; install libvirt-daemon-system")}
	up := model.VMSection{URI: "qemu:///system", Availability: model.Available(), Items: plain(machines(3))}
	demo := model.VMSection{URI: "test:///default", Availability: model.Available(), Items: plain(machines(1))}
	stale := model.VMsNotAnswering("qemu:///system", time.Date(2026, 11, 30, 3, 12, 0, 0, time.UTC), time.Date(2026, 11, 30, 3, 12, 12, 0, time.UTC))
	tests := []struct {
		secs []model.VMSection
		want string
		ok   bool
	}{
		{[]model.VMSection{down}, "qemu:///system: libvirt is not installed: VM list disabled; install libvirt-daemon-system", false},
		{[]model.VMSection{up}, "Connected to qemu:///system · 3 machines, 2 running", true},
		{[]model.VMSection{demo}, "Connected to test:///default · 1 machine, 0 running · libvirt's test driver: demo machines, not real ones", true},
		{[]model.VMSection{stale}, "libvirt at qemu:///system has not answered since 03:12:00 (12s); its VMs are hidden until it answers", false},
		{[]model.VMSection{model.VMsNeverAnswered("qemu:///system", time.Date(2026, 11, 30, 3, 12, 0, 0, time.UTC), time.Date(2026, 11, 30, 3, 12, 12, 0, time.UTC))},
			"libvirt at qemu:///system has not answered since Horcrux began asking at 03:12:00 (12s): no VMs have been listed yet; Diagnose says why", false},
		{[]model.VMSection{up, down}, "Connected to qemu:///system · 3 machines, 2 running\nqemu:///system: libvirt is not installed: VM list disabled; install libvirt-daemon-system", false},
	}
	for _, tt := range tests {
		if got, ok := statusOf(machineKind(machineHooks{}), tt.secs); got != tt.want || ok != tt.ok {
			t.Errorf("vmState = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
		}
	}
}

func TestRowsOfSeveralHosts(t *testing.T) {
	a := model.VMSection{URI: "qemu:///system", Availability: model.Available(), Items: []model.Machine{{Name: "web", UUID: "u1"}}}
	b := model.VMSection{URI: "qemu+ssh://far/system", Availability: model.Available(), Items: []model.Machine{{Name: "web", UUID: "u1"}}}
	k := machineKind(machineHooks{})
	rows := rowsOf(k, []model.VMSection{a, b})
	if len(rows) != 2 || rows[1].host != 1 || rows[1].where != b.URI {
		t.Fatalf("rows %+v", rows)
	}
	cols := columnsFor(k, 2)
	if cols[0].title != "Host" || cols[0].text(&rows[1]) != b.URI {
		t.Fatalf("several hosts need a Host column: %q", cols[0].title)
	}
	// The same UUID on two hosts is two rows with two keys.
	if k0, k1 := model.ItemKey(rows[0].host, rows[0].it.UUID), model.ItemKey(rows[1].host, rows[1].it.UUID); k0 == k1 {
		t.Fatalf("one key %q for two machines", k0)
	}
	if got := savedhosts.Split(" qemu+ssh://a/system\n\nqemu+ssh://a/system\ntest:///default \n"); len(got) != 2 || got[1] != "test:///default" {
		t.Fatalf("savedhosts.Split = %q", got)
	}
}

// recordingActor records actions and fails the ones it is told to.
type recordingActor struct {
	done chan string
	fail error
}

func (r *recordingActor) AddSerialConsole(_ context.Context, uuid string) error {
	r.done <- uuid + " add serial"
	return r.fail
}

func (r *recordingActor) Act(_ context.Context, uuid string, a model.VMAction) error {
	r.done <- uuid + " " + a.String()
	return r.fail
}

func TestMachinesViewSelectionAndActions(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	actor := &recordingActor{done: make(chan string, 1), fail: errors.New("Requested operation is not valid: domain is not running")}
	var selected string
	var expected []string
	var consoles []string
	var kinds []console.Kind
	v := newResourceTab(w, testJobs(t), machineKind(machineHooks{
		hosts:  func() []machineActor { return []machineActor{actor} },
		expect: func(uuid string) { expected = append(expected, uuid) },
		console: func(_ context.Context, _ int, uuid string, k console.Kind) error {
			consoles, kinds = append(consoles, uuid), append(kinds, k)
			return nil
		},
	}), func(key string) { selected = key })
	ui := make(chan func(), 1)
	v.uiDo = func(f func()) { ui <- f }
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1000, 700))
	v.showList(true, "ok", machines(4))

	button := func(label string) *widget.Button {
		for _, b := range v.buttons {
			if b.Text == label {
				return b
			}
		}
		t.Fatalf("no %s button", label)
		return nil
	}
	if !button("Pause").Disabled() || !button("Console").Disabled() {
		t.Fatal("actions enabled with nothing selected")
	}
	v.table.table.Select(widget.TableCellID{Row: 1, Col: 0}) // vm-0001, running
	if selected != "0/uuid-0001" {
		t.Fatalf("selection passed on as %q", selected)
	}
	if button("Start").Disabled() == button("Pause").Disabled() || button("Pause").Disabled() {
		t.Fatal("running VM: Pause should be enabled, Start disabled")
	}
	if !button("Console").Disabled() || !button("Serial").Disabled() {
		t.Fatal("Console enabled for a VM without a display or serial port")
	}
	ms := machines(4)
	ms[1].it.Serial = true
	v.showList(true, "ok", ms)
	if button("Console").Disabled() || !button("Serial").Disabled() {
		t.Fatal("a serial-only VM: Console opens the serial console; no separate Serial button")
	}
	ms = machines(4)
	ms[1].it.SPICE, ms[1].it.Serial = true, true
	v.showList(true, "ok", ms)
	if button("Console").Disabled() || button("Serial").Disabled() {
		t.Fatal("SPICE + serial: both Console and Serial")
	}
	test.Tap(button("Serial"))
	(<-ui)()
	if len(kinds) != 1 || kinds[0] != console.Serial || consoles[0] != "uuid-0001" {
		t.Fatalf("Serial opened %v %v", consoles, kinds)
	}
	if got := consolesOf(&ms[1].it); got != "SPICE + serial" {
		t.Errorf("consoles column %q", got)
	}
	// The selection follows the VM when a re-sort moves it.
	v.table.sortBy(0)
	if it, ok := v.table.selectedItem(); !ok || it.it.UUID != "uuid-0001" {
		t.Fatalf("selection lost on re-sort: %v", it)
	}
	test.Tap(button("Pause"))
	if got := <-actor.done; got != "uuid-0001 pause" {
		t.Fatalf("acted %q", got)
	}
	if len(expected) != 0 {
		t.Fatalf("a pause was announced as a stop: %v", expected)
	}
	if !button("Pause").Disabled() {
		t.Fatal("buttons stay enabled while the action runs")
	}
	(<-ui)() // the action's result reaches the UI
	if button("Pause").Disabled() {
		t.Fatal("buttons not enabled again after the action")
	}
	if len(w.Canvas().Overlays().List()) == 0 {
		t.Fatal("the libvirt error was not shown to the user")
	}
	// A VM that vanishes takes the selection with it.
	v.showList(true, "ok", machines(1))
	if selected != "" {
		t.Fatalf("selection kept for a VM that is gone: %q", selected)
	}
}

// BenchmarkMachinesView1000 is one refresh of a 1000-row Machines table on
// the UI goroutine: sorting, cell texts and the table refresh.
func BenchmarkMachinesView1000(b *testing.B) {
	test.NewTempApp(b)
	w := test.NewTempWindow(b, widget.NewLabel(""))
	v := newResourceTab(w, testJobs(b), machineKind(machineHooks{
		hosts: func() []machineActor { return []machineActor{&recordingActor{}} }, expect: func(string) {},
	}), func(string) {})
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(1100, 720))
	// Two lists whose figures differ, so every visible cell changes.
	sets := [2][]vmRow{machines(1000), machines(1000)}
	for i := range sets[1] {
		sets[1][i].it.CPUPercent = f64(float64(i%89) + 0.5)
		sets[1][i].it.DiskReadBps = f64(float64(i * 3))
	}
	i := 0
	for b.Loop() {
		v.showList(true, "ok", sets[i%2])
		i++
	}
}

func TestIPColumn(t *testing.T) {
	cols := vmColumns()
	ip := cols[len(cols)-1]
	if ip.title != "IP" {
		t.Fatalf("last column %q, want IP", ip.title)
	}
	facts := func(addrs ...string) *model.GuestFacts {
		g := &model.GuestFacts{}
		for _, a := range addrs {
			g.Addresses = append(g.Addresses, model.GuestAddress{Interface: "eth0", Addr: a, Source: model.AddrLease})
		}
		return g
	}
	ms := machines(5)
	ms[0].it.Guest = facts("10.0.0.10")
	ms[1].it.Guest = facts("fe80::1", "10.0.0.9") // link-local skipped, IPv4 first
	ms[2].it.Guest = nil                          // not read yet
	ms[3].it.Guest = facts("2001:db8::5")
	ms[4].it.Guest = facts("127.0.0.1") // loopback only: no address
	if got := ip.text(&ms[1]); got != "10.0.0.9 (lease)" {
		t.Errorf("text %q", got)
	}
	if got := ip.text(&ms[4]); got != "—" {
		t.Errorf("loopback only: %q", got)
	}
	sortItems(ms, ip, false)
	var got []string
	for _, m := range ms {
		got = append(got, ip.text(&m))
	}
	want := "— — 10.0.0.9 (lease) 10.0.0.10 (lease) 2001:db8::5 (lease)"
	if strings.Join(got, " ") != want {
		t.Errorf("by IP: %q, want %q", strings.Join(got, " "), want)
	}
}
