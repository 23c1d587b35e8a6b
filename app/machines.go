package app

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// vmActor runs lifecycle actions; *vm.Source is one.
type vmActor interface {
	Act(ctx context.Context, uuid string, a model.VMAction) error
}

func optText[N float64 | uint64](p *N, f func(float64) string) string {
	if p == nil {
		return "—"
	}
	return f(float64(*p))
}

func pct(v float64) string  { return strconv.FormatFloat(v, 'f', 1, 64) + " %" }
func rate(v float64) string { return widgets.UnitBytesPerSec.Format(v) }
func size(v float64) string { return widgets.FormatBytes(v) }

// vmColumns are the Machines table's columns.
// hostVM is one machine with the host it runs on.
type hostVM struct {
	model.Machine
	host int    // index in the list of libvirt hosts
	uri  string // that host's URI
}

// vmRows lists the machines of every host.
func vmRows(secs []model.VMSection) []hostVM {
	n := 0
	for i := range secs {
		n += len(secs[i].Items)
	}
	rows := make([]hostVM, 0, n)
	for i := range secs {
		for _, m := range secs[i].Items {
			rows = append(rows, hostVM{Machine: m, host: i, uri: secs[i].URI})
		}
	}
	return rows
}

// vmColumns are the Machines table's columns; with several hosts the
// first one names the host.
func vmColumns(hosts int) []column[hostVM] {
	cols := []column[hostVM]{
		{title: "Name", width: 170, text: func(m *hostVM) string { return m.Name }},
		{title: "State", width: 90, text: func(m *hostVM) string { return string(m.State) }},
		{title: "vCPUs", width: 60, text: func(m *hostVM) string { return strconv.Itoa(m.VCPUs) },
			cmp: func(a, b *hostVM) int { return cmp.Compare(a.VCPUs, b.VCPUs) }},
		{title: "Memory", width: 90, text: func(m *hostVM) string { return size(float64(m.MemoryBytes)) },
			cmp: func(a, b *hostVM) int { return cmp.Compare(a.MemoryBytes, b.MemoryBytes) }},
		{title: "CPU", width: 75, text: func(m *hostVM) string { return optText(m.CPUPercent, pct) },
			cmp: func(a, b *hostVM) int { return cmpOpt(a.CPUPercent, b.CPUPercent) }},
		{title: "Disk read", width: 90, text: func(m *hostVM) string { return optText(m.DiskReadBps, rate) },
			cmp: func(a, b *hostVM) int { return cmpOpt(a.DiskReadBps, b.DiskReadBps) }},
		{title: "Disk write", width: 90, text: func(m *hostVM) string { return optText(m.DiskWriteBps, rate) },
			cmp: func(a, b *hostVM) int { return cmpOpt(a.DiskWriteBps, b.DiskWriteBps) }},
		{title: "Net rx", width: 90, text: func(m *hostVM) string { return optText(m.NetRxBps, rate) },
			cmp: func(a, b *hostVM) int { return cmpOpt(a.NetRxBps, b.NetRxBps) }},
		{title: "Net tx", width: 90, text: func(m *hostVM) string { return optText(m.NetTxBps, rate) },
			cmp: func(a, b *hostVM) int { return cmpOpt(a.NetTxBps, b.NetTxBps) }},
		{title: "Uptime", width: 85, text: func(m *hostVM) string {
			return optText(m.UptimeSeconds, func(s float64) string { return formatUptime(time.Duration(s) * time.Second) })
		}, cmp: func(a, b *hostVM) int { return cmpOpt(a.UptimeSeconds, b.UptimeSeconds) }},
		{title: "Display", width: 65, text: func(m *hostVM) string { return map[bool]string{true: "VNC", false: "—"}[m.VNC] }},
	}
	if hosts > 1 {
		cols = append([]column[hostVM]{{title: "Host", width: 150, text: func(m *hostVM) string { return m.uri }}}, cols...)
	}
	return cols
}

// vmActions are the Machines tab's lifecycle buttons; expect is told the
// UUID of a machine the user is about to stop; openConsole opens a console
// (nil: no Console button).
func vmActions(srcs []vmActor, expect func(uuid string), openConsole func(ctx context.Context, host int, uuid string) error) []action[hostVM] {
	mk := func(label string, icon fyne.Resource, a model.VMAction, confirm string) action[hostVM] {
		act := action[hostVM]{
			label: label, icon: icon, confirm: confirm,
			applies: func(m *hostVM) bool { return a.AppliesTo(m.State) },
			run:     func(ctx context.Context, m *hostVM) error { return srcs[m.host].Act(ctx, m.UUID, a) },
		}
		if a == model.ShutDownVM || a == model.ForceOffVM {
			act.before = func(m *hostVM) { expect(m.UUID) }
		}
		return act
	}
	acts := []action[hostVM]{
		mk("Start", theme.MediaPlayIcon(), model.StartVM, ""),
		mk("Shut down", theme.LogoutIcon(), model.ShutDownVM, ""),
		mk("Reboot", theme.ViewRefreshIcon(), model.RebootVM, ""),
		mk("Force off", theme.CancelIcon(), model.ForceOffVM, "Force off %s? Like pulling the plug: unsaved data in the guest is lost."),
		mk("Pause", theme.MediaPauseIcon(), model.PauseVM, ""),
		mk("Resume", theme.MediaReplayIcon(), model.ResumeVM, ""),
	}
	if openConsole != nil {
		acts = append(acts, action[hostVM]{
			label: "Console", icon: theme.ComputerIcon(),
			applies: func(m *hostVM) bool { return m.State == model.VMRunning && m.VNC },
			run:     func(ctx context.Context, m *hostVM) error { return openConsole(ctx, m.host, m.UUID) },
		})
	}
	return acts
}

// newMachinesView builds the Machines tab.
func newMachinesView(win fyne.Window, srcs []vmActor, expect func(string), openConsole func(context.Context, int, string) error,
	onSelect func(string)) *resourceView[hostVM] {
	return newResourceView(win, vmColumns(len(srcs)),
		func(m *hostVM) string { return model.ItemKey(m.host, m.UUID) },
		func(m *hostVM) string { return m.Name },
		vmActions(srcs, expect, openConsole),
		[]*widgets.Chart{
			widgets.NewChart("CPU (of one core)", widgets.UnitPercent),
			widgets.NewChart("Disk I/O", widgets.UnitBytesPerSec),
			widgets.NewChart("Network I/O", widgets.UnitBytesPerSec),
		}, onSelect)
}

// vmState is the text above the Machines table, one line per host: where
// the list comes from and whether it is live. ok is false when any host is
// unavailable or stale.
func vmState(secs []model.VMSection) (text string, ok bool) {
	lines := make([]string, len(secs))
	ok = true
	for i := range secs {
		lines[i] = vmHostState(&secs[i])
		ok = ok && secs[i].IsUp() && secs[i].Notice == ""
	}
	return strings.Join(lines, "\n"), ok
}

// vmHostState is the state of one host.
func vmHostState(s *model.VMSection) string {
	if !s.IsUp() {
		msg := s.Reason
		if msg == "" {
			msg = "not connected"
		}
		if s.URI != "" && !strings.Contains(msg, s.URI) {
			msg = s.URI + ": " + msg
		}
		return msg
	}
	running := 0
	for _, m := range s.Items {
		if m.State == model.VMRunning {
			running++
		}
	}
	msg := fmt.Sprintf("Connected to %s · %d machines, %d running", s.URI, len(s.Items), running)
	if s.Notice != "" {
		msg += " · " + s.Notice
	}
	if strings.HasPrefix(s.URI, "test:") {
		msg += " · libvirt's test driver: demo machines, not real ones"
	}
	return msg
}

// vmCharts is the chart data of the selected VM, or nil without one.
func vmCharts(c *model.ItemCharts) []widgets.ChartData {
	if c == nil {
		return nil
	}
	two := func(a, b string, x, y []float64) []widgets.Series {
		return []widgets.Series{{Name: a, Values: x, Color: colorOf(0)}, {Name: b, Values: y, Color: colorOf(1)}}
	}
	return []widgets.ChartData{
		{Window: c.Window, Series: []widgets.Series{{Name: "cpu", Values: c.CPU, Color: colorOf(0)}},
			Max: chartMaxPercent(c.CPU)},
		{Window: c.Window, Series: two("read", "write", c.DiskRead, c.DiskWrite)},
		{Window: c.Window, Series: two("rx", "tx", c.NetRx, c.NetTx)},
	}
}

// chartMaxPercent scales a percent-of-one-core chart: 100 unless a guest or
// container uses more than one core.
func chartMaxPercent(v []float64) float64 {
	top := 100.0
	for _, x := range v {
		if x > top {
			top = x
		}
	}
	if top > 100 {
		return 100 * float64(int(top/100)+1)
	}
	return 100
}
