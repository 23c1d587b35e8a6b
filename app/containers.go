package app

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// containerEngine runs actions and reads logs; a registry.Engine is one.
type containerEngine interface {
	Act(ctx context.Context, id string, a model.ContainerAction) error
	logSource
}

// containerHooks are what the Containers tab calls outside itself.
type containerHooks struct {
	hosts  func() []containerEngine // the engines, in the snapshot's order
	expect func(id string)          // a stop the user asked for is not an alert
	logs   func(engine containerEngine, id, name string)
	shell  func(host int, id string) error // nil: no Shell button
}

// ctRow is a container with its engine.
type ctRow = row[model.Container]

// containerKind is the Containers tab.
func containerKind(h containerHooks) *resourceKind[model.ContainerSection, model.Container] {
	return &resourceKind[model.ContainerSection, model.Container]{
		hostTitle: "Engine",
		noun:      "container",
		table:     "containers",
		items:     func(s *model.ContainerSection) []model.Container { return s.Items },
		where:     func(s *model.ContainerSection) string { return s.Host },
		status:    engineState,
		id:        func(c *model.Container) string { return c.ID },
		name:      func(c *model.Container) string { return c.Name },
		columns:   containerColumns(),
		actions:   containerActions(h),
		charts: []chartSpec{
			{title: "CPU (of one core)", unit: widgets.UnitPercent,
				series: func(c *model.ItemCharts) []widgets.Series { return one("cpu", c.CPU, 0) },
				max:    func(c *model.ItemCharts) float64 { return chartMaxPercent(c.CPU) }},
			{title: "Memory", unit: widgets.UnitBytes,
				series: func(c *model.ItemCharts) []widgets.Series { return one("used", c.Mem, 2) }},
			{title: "Network I/O", unit: widgets.UnitBytesPerSec,
				series: func(c *model.ItemCharts) []widgets.Series { return pair("rx", "tx", c.NetRx, c.NetTx) }},
			{title: "Block I/O", unit: widgets.UnitBytesPerSec,
				series: func(c *model.ItemCharts) []widgets.Series { return pair("read", "write", c.DiskRead, c.DiskWrite) }},
		},
		sections: func(s *model.Snapshot) ([]model.ContainerSection, uint64) { return s.Containers, s.Versions.Containers },
		history: func(s *model.Snapshot) (*model.ItemCharts, uint64) {
			return s.ContainerCharts, s.Versions.ContainerCharts
		},
		storeKey: history.ContainerItem,
	}
}

// containerColumns are the Containers table's columns, without the Engine column.
func containerColumns() []column[ctRow] {
	return []column[ctRow]{
		{title: "Name", width: 150, text: func(r *ctRow) string { return r.it.Name }},
		{title: "Image", width: 130, text: func(r *ctRow) string { return r.it.Image }},
		{title: "State", width: 75, text: func(r *ctRow) string { return r.it.State }},
		{title: "Status", width: 130, text: func(r *ctRow) string { return r.it.Status }},
		figureColumn("CPU", 70, pct, func(r *ctRow) *float64 { return r.it.CPUPercent }),
		{title: "Memory", width: 140, text: func(r *ctRow) string {
			if r.it.MemUsageBytes == nil {
				return "—"
			}
			return size(float64(*r.it.MemUsageBytes)) + " / " + optText(r.it.MemLimitBytes, size)
		}, cmp: func(a, b *ctRow) int { return cmpOpt(a.it.MemUsageBytes, b.it.MemUsageBytes) }},
		figureColumn("Net rx", 85, rate, func(r *ctRow) *float64 { return r.it.NetRxBps }),
		figureColumn("Net tx", 85, rate, func(r *ctRow) *float64 { return r.it.NetTxBps }),
		figureColumn("Block read", 85, rate, func(r *ctRow) *float64 { return r.it.BlockReadBps }),
		figureColumn("Block write", 85, rate, func(r *ctRow) *float64 { return r.it.BlockWriteBps }),
		figureColumn("PIDs", 50, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
			func(r *ctRow) *uint64 { return r.it.PIDs }),
		{title: "Uptime", width: 80, text: func(r *ctRow) string {
			if r.it.StartedAt.IsZero() {
				return "—"
			}
			return formatUptime(time.Since(r.it.StartedAt))
		}, cmp: func(a, b *ctRow) int { return b.it.StartedAt.Compare(a.it.StartedAt) }},
		// Optional columns, shown from the Columns menu.
		{title: "ID", width: 110, optional: true, text: func(r *ctRow) string { return shortID(r.it.ID) }},
		{title: "Ports", width: 160, optional: true, text: func(r *ctRow) string { return portsText(r.it.Ports) }},
		{title: "Command", width: 180, optional: true, text: func(r *ctRow) string { return orDash(r.it.Command) }},
		{title: "Health", width: 85, optional: true, text: func(r *ctRow) string { return orDash(r.it.Health) }},
	}
}

// shortID is the 12 characters of an engine ID docker ps shows.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// portsText is a container's ports as docker ps writes them, without the
// any-address prefix and with a mapping published on IPv4 and IPv6 once:
// "8080->80/tcp, 127.0.0.1:9000->9000/tcp, 443/tcp".
func portsText(ps []model.ContainerPort) string {
	if len(ps) == 0 {
		return "—"
	}
	parts := make([]string, 0, len(ps))
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		text := fmt.Sprintf("%d/%s", p.Private, p.Proto)
		if p.Public != 0 {
			host := strconv.Itoa(int(p.Public))
			if p.HostIP != "" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
				host = net.JoinHostPort(p.HostIP, host)
			}
			text = host + "->" + text
		}
		if !seen[text] {
			seen[text] = true
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, ", ")
}

// containerActions are the Containers tab's buttons, Logs last.
func containerActions(h containerHooks) []action[ctRow] {
	engine := func(r *ctRow) (containerEngine, error) { return hostAt(h.hosts(), r.host) }
	mk := func(label string, icon fyne.Resource, a model.ContainerAction, confirm string) action[ctRow] {
		act := lifecycle(label, icon, confirm, func(r *ctRow) bool { return a.AppliesTo(r.it.State) },
			func(ctx context.Context, r *ctRow) error {
				e, err := engine(r)
				if err != nil {
					return err
				}
				return e.Act(ctx, r.it.ID, a)
			})
		if a == model.StopContainer || a == model.RemoveContainer || a == model.RestartContainer {
			act.before = func(r *ctRow) { h.expect(r.it.ID) }
		}
		return act
	}
	acts := []action[ctRow]{
		mk("Start", theme.MediaPlayIcon(), model.StartContainer, ""),
		mk("Stop", theme.MediaStopIcon(), model.StopContainer, ""),
		mk("Restart", theme.ViewRefreshIcon(), model.RestartContainer, ""),
		mk("Pause", theme.MediaPauseIcon(), model.PauseContainer, ""),
		mk("Unpause", theme.MediaReplayIcon(), model.UnpauseContainer, ""),
		removing(mk("Remove", theme.DeleteIcon(), model.RemoveContainer, "Remove %s? The container and its writable layer are deleted.")),
		opening(lifecycle("Logs", theme.DocumentIcon(), "", func(*ctRow) bool { return true },
			func(_ context.Context, r *ctRow) error {
				e, err := engine(r)
				if err != nil {
					return err
				}
				fyne.Do(func() { h.logs(e, r.it.ID, r.it.Name) })
				return nil
			})),
	}
	if h.shell != nil {
		acts = append(acts, oneAtATime(lifecycle("Shell", theme.ComputerIcon(), "",
			func(r *ctRow) bool { return r.it.State == "running" },
			func(_ context.Context, r *ctRow) error { return h.shell(r.host, r.it.ID) })))
	}
	return acts
}

// engineState is the state line of one engine.
func engineState(s *model.ContainerSection) (string, bool) {
	if !s.IsUp() {
		if s.Reason == "" {
			return "not connected", false
		}
		return s.Reason, false
	}
	running := 0
	for _, c := range s.Items {
		if c.State == "running" {
			running++
		}
	}
	return fmt.Sprintf("%s at %s · %s, %d running", s.Engine, s.Host, plural.Count(len(s.Items), "container"), running), true
}
