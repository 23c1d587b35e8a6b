package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// containerEngine runs actions and reads logs; *container.Source is one.
type containerEngine interface {
	Act(ctx context.Context, id string, a model.ContainerAction) error
	Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error)
}

// hostContainer is one container with the engine it runs on.
type hostContainer struct {
	model.Container
	host int    // index in the list of engines
	addr string // that engine's address
}

// containerRows lists the containers of every engine.
func containerRows(secs []model.ContainerSection) []hostContainer {
	n := 0
	for i := range secs {
		n += len(secs[i].Items)
	}
	rows := make([]hostContainer, 0, n)
	for i := range secs {
		for _, c := range secs[i].Items {
			rows = append(rows, hostContainer{Container: c, host: i, addr: secs[i].Host})
		}
	}
	return rows
}

// containerColumns are the Containers table's columns; with several
// engines the first one names the engine.
func containerColumns(hosts int) []column[hostContainer] {
	cols := []column[hostContainer]{
		{title: "Name", width: 150, text: func(c *hostContainer) string { return c.Name }},
		{title: "Image", width: 130, text: func(c *hostContainer) string { return c.Image }},
		{title: "State", width: 75, text: func(c *hostContainer) string { return c.State }},
		{title: "Status", width: 130, text: func(c *hostContainer) string { return c.Status }},
		{title: "CPU", width: 70, text: func(c *hostContainer) string { return optText(c.CPUPercent, pct) },
			cmp: func(a, b *hostContainer) int { return cmpOpt(a.CPUPercent, b.CPUPercent) }},
		{title: "Memory", width: 140, text: func(c *hostContainer) string {
			if c.MemUsageBytes == nil {
				return "—"
			}
			return size(float64(*c.MemUsageBytes)) + " / " + optText(c.MemLimitBytes, size)
		}, cmp: func(a, b *hostContainer) int { return cmpOpt(a.MemUsageBytes, b.MemUsageBytes) }},
		{title: "Net rx", width: 85, text: func(c *hostContainer) string { return optText(c.NetRxBps, rate) },
			cmp: func(a, b *hostContainer) int { return cmpOpt(a.NetRxBps, b.NetRxBps) }},
		{title: "Net tx", width: 85, text: func(c *hostContainer) string { return optText(c.NetTxBps, rate) },
			cmp: func(a, b *hostContainer) int { return cmpOpt(a.NetTxBps, b.NetTxBps) }},
		{title: "Block read", width: 85, text: func(c *hostContainer) string { return optText(c.BlockReadBps, rate) },
			cmp: func(a, b *hostContainer) int { return cmpOpt(a.BlockReadBps, b.BlockReadBps) }},
		{title: "Block write", width: 85, text: func(c *hostContainer) string { return optText(c.BlockWriteBps, rate) },
			cmp: func(a, b *hostContainer) int { return cmpOpt(a.BlockWriteBps, b.BlockWriteBps) }},
		{title: "PIDs", width: 50, text: func(c *hostContainer) string {
			return optText(c.PIDs, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
		}, cmp: func(a, b *hostContainer) int { return cmpOpt(a.PIDs, b.PIDs) }},
		{title: "Uptime", width: 80, text: func(c *hostContainer) string {
			if c.StartedAt.IsZero() {
				return "—"
			}
			return formatUptime(time.Since(c.StartedAt))
		}, cmp: func(a, b *hostContainer) int { return b.StartedAt.Compare(a.StartedAt) }},
	}
	if hosts > 1 {
		cols = append([]column[hostContainer]{{title: "Engine", width: 150, text: func(c *hostContainer) string { return c.addr }}}, cols...)
	}
	return cols
}

func containerActions(srcs []containerEngine, expect func(id string)) []action[hostContainer] {
	mk := func(label string, icon fyne.Resource, a model.ContainerAction, confirm string) action[hostContainer] {
		act := action[hostContainer]{
			label: label, icon: icon, confirm: confirm,
			applies: func(c *hostContainer) bool { return a.AppliesTo(c.State) },
			run:     func(ctx context.Context, c *hostContainer) error { return srcs[c.host].Act(ctx, c.ID, a) },
		}
		if a == model.StopContainer || a == model.RemoveContainer || a == model.RestartContainer {
			act.before = func(c *hostContainer) { expect(c.ID) }
		}
		return act
	}
	return []action[hostContainer]{
		mk("Start", theme.MediaPlayIcon(), model.StartContainer, ""),
		mk("Stop", theme.MediaStopIcon(), model.StopContainer, ""),
		mk("Restart", theme.ViewRefreshIcon(), model.RestartContainer, ""),
		mk("Pause", theme.MediaPauseIcon(), model.PauseContainer, ""),
		mk("Unpause", theme.MediaReplayIcon(), model.UnpauseContainer, ""),
		mk("Remove", theme.DeleteIcon(), model.RemoveContainer, "Remove %s? The container and its writable layer are deleted."),
	}
}

// newContainersView builds the Containers tab, with a Logs button.
func newContainersView(win fyne.Window, a fyne.App, srcs []containerEngine, expect func(string), onSelect func(string)) *resourceView[hostContainer] {
	v := newResourceView(win, containerColumns(len(srcs)),
		func(c *hostContainer) string { return model.ItemKey(c.host, c.ID) },
		func(c *hostContainer) string { return c.Name },
		append(containerActions(srcs, expect), action[hostContainer]{
			label: "Logs", icon: theme.DocumentIcon(),
			applies: func(*hostContainer) bool { return true },
			run: func(_ context.Context, c *hostContainer) error {
				fyne.Do(func() { showLogs(a, srcs[c.host], c.ID, c.Name) })
				return nil
			},
		}),
		[]*widgets.Chart{
			widgets.NewChart("CPU (of one core)", widgets.UnitPercent),
			widgets.NewChart("Memory", widgets.UnitBytes),
			widgets.NewChart("Network I/O", widgets.UnitBytesPerSec),
			widgets.NewChart("Block I/O", widgets.UnitBytesPerSec),
		}, onSelect)
	return v
}

// containerState is the text above the Containers table, one line per
// engine; ok is false when any engine is unavailable.
func containerState(secs []model.ContainerSection) (text string, ok bool) {
	lines := make([]string, len(secs))
	ok = true
	for i := range secs {
		lines[i] = engineState(&secs[i])
		ok = ok && secs[i].IsUp()
	}
	return strings.Join(lines, "\n"), ok
}

// engineState is the state of one engine.
func engineState(s *model.ContainerSection) string {
	if !s.IsUp() {
		if s.Reason == "" {
			return "not connected"
		}
		return s.Reason
	}
	running := 0
	for _, c := range s.Items {
		if c.State == "running" {
			running++
		}
	}
	return fmt.Sprintf("%s at %s · %d containers, %d running", s.Engine, s.Host, len(s.Items), running)
}

func containerCharts(c *model.ItemCharts) []widgets.ChartData {
	if c == nil {
		return nil
	}
	two := func(a, b string, x, y []float64) []widgets.Series {
		return []widgets.Series{{Name: a, Values: x, Color: colorOf(0)}, {Name: b, Values: y, Color: colorOf(1)}}
	}
	return []widgets.ChartData{
		{Window: c.Window, Series: []widgets.Series{{Name: "cpu", Values: c.CPU, Color: colorOf(0)}}, Max: chartMaxPercent(c.CPU)},
		{Window: c.Window, Series: []widgets.Series{{Name: "used", Values: c.Mem, Color: colorOf(2)}}},
		{Window: c.Window, Series: two("rx", "tx", c.NetRx, c.NetTx)},
		{Window: c.Window, Series: two("read", "write", c.DiskRead, c.DiskWrite)},
	}
}

// logLines is how many lines a log window keeps.
const logLines = 2000

// showLogs opens a window that tails and follows a container's output until
// it is closed.
func showLogs(a fyne.App, src containerEngine, id, name string) {
	w := a.NewWindow("Logs: " + name)
	grid := widget.NewTextGrid()
	scroll := container.NewScroll(grid)
	status := widget.NewLabel("Reading the last 500 lines…")
	w.SetContent(container.NewBorder(status, nil, nil, nil, scroll))
	w.Resize(fyne.NewSize(800, 500))

	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		lines []string
	)
	// Lines arrive faster than a window can redraw: the reader only marks
	// the text dirty and the UI joins the lines once per redraw.
	ui := &handoff[struct{}]{do: fyne.Do, apply: func(*struct{}) {
		mu.Lock()
		text := strings.Join(lines, "\n")
		mu.Unlock()
		grid.SetText(text)
		scroll.ScrollToBottom()
	}}
	w.SetOnClosed(cancel)
	go func() {
		r, err := src.Logs(ctx, id, 500, true)
		if err != nil {
			fyne.Do(func() { status.SetText("Cannot read the logs: " + err.Error()) })
			return
		}
		defer r.Close()
		fyne.Do(func() { status.SetText("Following the output of " + name) })
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			if len(lines) > logLines {
				lines = lines[len(lines)-logLines:]
			}
			mu.Unlock()
			ui.Offer(&struct{}{})
		}
		if ctx.Err() == nil {
			msg := "The log stream ended (the container stopped?)."
			if err := sc.Err(); err != nil {
				msg = "The log stream broke: " + err.Error()
			}
			fyne.Do(func() { status.SetText(msg) })
		}
	}()
	w.Show()
}
