package app

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
	"github.com/horcrux-desktop/horcrux/widgets"
)

func optText[N float64 | uint64](p *N, f func(float64) string) string {
	if p == nil {
		return "—"
	}
	return f(float64(*p))
}

func pct(v float64) string  { return strconv.FormatFloat(v, 'f', 1, 64) + " %" }
func rate(v float64) string { return widgets.UnitBytesPerSec.Format(v) }
func size(v float64) string { return widgets.FormatBytes(v) }

// machineActor is one libvirt host as the Machines tab acts on it; a
// registry.MachineHost is one.
type machineActor interface {
	Act(ctx context.Context, uuid string, a model.VMAction) error
	AddSerialConsole(ctx context.Context, uuid string) error
}

// machineHooks are what the Machines tab calls outside itself.
type machineHooks struct {
	hosts   func() []machineActor                                                     // the libvirt hosts, in the snapshot's order
	expect  func(uuid string)                                                         // a stop the user asked for is not an alert
	console func(ctx context.Context, host int, uuid string, kind console.Kind) error // nil: no Console buttons
	// details and snapshots open a machine's windows on the UI goroutine; nil: no buttons.
	details, snapshots func(host int, m model.Machine)
}

// machineKind is the Machines tab.
func machineKind(h machineHooks) *resourceKind[model.VMSection, model.Machine] {
	return &resourceKind[model.VMSection, model.Machine]{
		hostTitle: "Host",
		noun:      "machine",
		table:     "machines",
		items:     func(s *model.VMSection) []model.Machine { return s.Items },
		where:     func(s *model.VMSection) string { return s.URI },
		status:    vmHostState,
		id:        func(m *model.Machine) string { return m.UUID },
		name:      func(m *model.Machine) string { return m.Name },
		columns:   vmColumns(),
		actions:   vmActions(h),
		charts: []chartSpec{
			{title: "CPU (of one core)", unit: widgets.UnitPercent,
				series: func(c *model.ItemCharts) []widgets.Series { return one("cpu", c.CPU, 0) },
				max:    func(c *model.ItemCharts) float64 { return chartMaxPercent(c.CPU) }},
			{title: "Memory", unit: widgets.UnitBytes,
				series: func(c *model.ItemCharts) []widgets.Series { return one("memory", c.Mem, 2) }},
			{title: "Disk I/O", unit: widgets.UnitBytesPerSec,
				series: func(c *model.ItemCharts) []widgets.Series { return pair("read", "write", c.DiskRead, c.DiskWrite) }},
			{title: "Network I/O", unit: widgets.UnitBytesPerSec,
				series: func(c *model.ItemCharts) []widgets.Series { return pair("rx", "tx", c.NetRx, c.NetTx) }},
			guestFSChart(),
		},
		sections: func(s *model.Snapshot) ([]model.VMSection, uint64) { return s.VMs, s.Versions.VMs },
		history:  func(s *model.Snapshot) (*model.ItemCharts, uint64) { return s.VMCharts, s.Versions.VMCharts },
		storeKey: history.VMItem,
	}
}

// vmRow is a machine with its host.
type vmRow = row[model.Machine]

// vmColumns are the Machines table's columns, without the Host column.
func vmColumns() []column[vmRow] {
	return []column[vmRow]{
		{title: "Name", width: 170, text: func(r *vmRow) string { return r.it.Name }},
		{title: "State", width: 90, text: func(r *vmRow) string { return string(r.it.State) }},
		{title: "vCPUs", width: 60, text: func(r *vmRow) string { return strconv.Itoa(r.it.VCPUs) },
			cmp: func(a, b *vmRow) int { return cmp.Compare(a.it.VCPUs, b.it.VCPUs) }},
		{title: "Memory", width: 90, text: func(r *vmRow) string { return size(float64(r.it.MemoryBytes)) },
			cmp: func(a, b *vmRow) int { return cmp.Compare(a.it.MemoryBytes, b.it.MemoryBytes) }},
		figureColumn("CPU", 75, pct, func(r *vmRow) *float64 { return r.it.CPUPercent }),
		figureColumn("Disk read", 90, rate, func(r *vmRow) *float64 { return r.it.DiskReadBps }),
		figureColumn("Disk write", 90, rate, func(r *vmRow) *float64 { return r.it.DiskWriteBps }),
		figureColumn("Net rx", 90, rate, func(r *vmRow) *float64 { return r.it.NetRxBps }),
		figureColumn("Net tx", 90, rate, func(r *vmRow) *float64 { return r.it.NetTxBps }),
		figureColumn("Uptime", 85, func(s float64) string { return formatUptime(time.Duration(s) * time.Second) },
			func(r *vmRow) *float64 { return r.it.UptimeSeconds }),
		{title: "Consoles", width: 95, text: func(r *vmRow) string { return consolesOf(&r.it) }},
		{title: "IP", width: 170, text: func(r *vmRow) string { return ipText(r.it.Guest) },
			cmp: func(a, b *vmRow) int { return cmpIP(a.it.Guest, b.it.Guest) }},
	}
}

// ipText is a guest's main address with where it came from ("10.0.0.5
// (agent)"), or "—"; the reason for none is in the facts.
func ipText(g *model.GuestFacts) string {
	a, ok := g.PrimaryAddress()
	if !ok {
		return "—"
	}
	return a.Addr + " (" + string(a.Source) + ")"
}

// cmpIP orders by address as numbers (10.0.0.9 before 10.0.0.10), unknown first.
func cmpIP(a, b *model.GuestFacts) int {
	x, okX := a.PrimaryAddress()
	y, okY := b.PrimaryAddress()
	if !okX || !okY {
		return cmp.Compare(boolInt(okX), boolInt(okY))
	}
	ax, _ := netip.ParseAddr(x.Addr)
	ay, _ := netip.ParseAddr(y.Addr)
	return ax.Compare(ay)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// figureColumn is a column of an optional figure: "—" when unknown, sorted
// with the unknown first.
func figureColumn[T any, N float64 | uint64](title string, width float32, format func(float64) string, get func(*T) *N) column[T] {
	return column[T]{title: title, width: width,
		text: func(r *T) string { return optText(get(r), format) },
		cmp:  func(a, b *T) int { return cmpOpt(get(a), get(b)) }}
}

// vmActions are the Machines tab's lifecycle buttons, and Console.
func vmActions(h machineHooks) []action[vmRow] {
	mk := func(label string, icon fyne.Resource, a model.VMAction, confirm string) action[vmRow] {
		act := lifecycle(label, icon, confirm, func(r *vmRow) bool { return a.AppliesTo(r.it.State) },
			func(ctx context.Context, r *vmRow) error {
				host, err := hostAt(h.hosts(), r.host)
				if err != nil {
					return err
				}
				return host.Act(ctx, r.it.UUID, a)
			})
		if a == model.ShutDownVM || a == model.ForceOffVM {
			act.before = func(r *vmRow) { h.expect(r.it.UUID) }
		}
		return act
	}
	acts := []action[vmRow]{
		mk("Start", theme.MediaPlayIcon(), model.StartVM, ""),
		mk("Shut down", theme.LogoutIcon(), model.ShutDownVM, ""),
		mk("Reboot", theme.ViewRefreshIcon(), model.RebootVM, ""),
		mk("Force off", theme.CancelIcon(), model.ForceOffVM, "Force off %s? Like pulling the plug: unsaved data in the guest is lost."),
		mk("Pause", theme.MediaPauseIcon(), model.PauseVM, ""),
		mk("Resume", theme.MediaReplayIcon(), model.ResumeVM, ""),
	}
	if h.console != nil {
		open := func(kind console.Kind) func(context.Context, *vmRow) error {
			return func(ctx context.Context, r *vmRow) error { return h.console(ctx, r.host, r.it.UUID, kind) }
		}
		running := func(r *vmRow) bool { return r.it.State == model.VMRunning }
		// Console opens what the machine has, graphics first; Serial opens the text console beside its graphics.
		acts = append(acts,
			opening(lifecycle("Console", theme.ComputerIcon(), "",
				func(r *vmRow) bool { return running(r) && (r.it.VNC || r.it.SPICE || r.it.Serial) }, open(""))),
			oneAtATime(lifecycle("Serial", theme.ListIcon(), "",
				func(r *vmRow) bool { return running(r) && r.it.Serial && (r.it.VNC || r.it.SPICE) }, open(console.Serial))))
	}
	acts = append(acts, lifecycle("Add serial", theme.ContentAddIcon(),
		"Add a serial console to %s? Horcrux adds a serial port with a console (a pty) to the VM's configuration; "+
			"it works from the VM's next start and the Console button then opens it. Nothing else changes.",
		func(r *vmRow) bool { return r.it.State == model.VMShutoff && !r.it.Serial },
		func(ctx context.Context, r *vmRow) error {
			host, err := hostAt(h.hosts(), r.host)
			if err != nil {
				return err
			}
			return host.AddSerialConsole(ctx, r.it.UUID)
		}))
	return append(acts, windowActions(h)...)
}

// consolesOf lists the consoles a machine has, the one Console opens first.
func consolesOf(m *model.Machine) string {
	var kinds []string
	for _, k := range []struct {
		has  bool
		name string
	}{{m.VNC, "VNC"}, {m.SPICE, "SPICE"}, {m.Serial, "serial"}} {
		if k.has {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) == 0 {
		return "—"
	}
	return strings.Join(kinds, " + ")
}

// vmHostState is the state line of one libvirt host.
func vmHostState(s *model.VMSection) (string, bool) {
	if !s.IsUp() {
		msg := s.Reason
		if msg == "" {
			msg = "not connected"
		}
		if s.URI != "" && !strings.Contains(msg, s.URI) {
			msg = s.URI + ": " + msg
		}
		if when := s.RetryIn(time.Now()); when != "" {
			msg += "; retrying " + when
		}
		return msg, false
	}
	running := 0
	for _, m := range s.Items {
		if m.State == model.VMRunning {
			running++
		}
	}
	msg := fmt.Sprintf("Connected to %s · %s, %d running", s.URI, plural.Count(len(s.Items), "machine"), running)
	if s.Notice != "" {
		msg += " · " + s.Notice
	}
	if strings.HasPrefix(s.URI, "test:") {
		msg += " · libvirt's test driver: demo machines, not real ones"
	}
	return msg, s.Notice == ""
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
