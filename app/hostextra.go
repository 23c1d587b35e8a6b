package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
)

// How often the Host tab's lists are read while shown; never while hidden.
// A process read costs about 55 µs of CPU per process (6.5 ms for 118
// here, so about 0.3 % of a core every 2 s; 1000 processes about 3 %);
// a filesystems read about 0.2 ms.
const (
	processEvery    = 2 * time.Second
	filesystemEvery = 10 * time.Second
	topProcesses    = 10
)

// Sub-tabs of the Host tab, in their order.
const (
	subCharts = iota
	subProcesses
	subFilesystems
)

// hostLists are the Host tab's Processes and Filesystems sub-tabs: the ten
// busiest processes by CPU and by memory, and the filesystems with their
// use. They are read on a job only while their sub-tab is shown.
type hostLists struct {
	tabs   *container.AppTabs
	byCPU  *itemTable[model.Process]
	byMem  *itemTable[model.Process]
	fs     *itemTable[model.Filesystem]
	procs  *widget.Label // what was read, or why nothing could be
	fsNote *widget.Label

	reader   host.ProcessReader
	readProc func(ctx context.Context, r *host.ProcessReader) (model.Processes, error)
	readFS   func(ctx context.Context) ([]model.Filesystem, error)
	jobs     *jobs         // nil: nothing is read (views built without a window)
	uiDo     func(func())  // fyne.Do; a queue in tests
	onSub    func(sub int) // told which sub-tab shows; may be nil
	reading  [subFilesystems + 1]bool
	readAt   [subFilesystems + 1]time.Time
	memTotal uint64 // the host's memory, for the Memory % column
}

func newHostLists(charts fyne.CanvasObject) *hostLists {
	l := &hostLists{
		procs:  widget.NewLabel("Reading the processes…"),
		fsNote: widget.NewLabel("Reading the filesystems…"),
		readProc: func(ctx context.Context, r *host.ProcessReader) (model.Processes, error) {
			return r.Read(ctx, topProcesses)
		},
		readFS: host.Filesystems,
		uiDo:   fyne.Do,
	}
	l.procs.Wrapping, l.fsNote.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord
	l.byCPU = newItemTable(l.processColumns(), pidKey, func(string) {})
	l.byCPU.sortCol, l.byCPU.desc = 2, true
	l.byMem = newItemTable(l.processColumns(), pidKey, func(string) {})
	l.byMem.sortCol, l.byMem.desc = 3, true
	l.fs = newItemTable(filesystemColumns(), func(f *model.Filesystem) string { return f.Mount }, func(string) {})
	titled := func(title string, t fyne.CanvasObject) fyne.CanvasObject {
		head := widget.NewLabel(title)
		head.TextStyle.Bold = true
		return container.NewBorder(head, nil, nil, nil, t)
	}
	procs := container.NewBorder(l.procs, nil, nil, nil, container.NewGridWithColumns(2,
		titled("Busiest by CPU", l.byCPU.root), titled("Largest by memory", l.byMem.root)))
	l.tabs = container.NewAppTabs(
		container.NewTabItem("Charts", charts),
		container.NewTabItem("Processes", procs),
		container.NewTabItem("Filesystems", container.NewBorder(l.fsNote, nil, nil, nil, l.fs.root)),
	)
	l.tabs.OnSelected = func(*container.TabItem) {
		if l.onSub != nil {
			l.onSub(l.tabs.SelectedIndex())
		}
		l.tick(time.Now())
	}
	return l
}

func pidKey(p *model.Process) string { return strconv.Itoa(int(p.PID)) }

// processColumns are the columns of both process lists.
func (l *hostLists) processColumns() []column[model.Process] {
	return []column[model.Process]{
		{title: "PID", width: 60, text: func(p *model.Process) string { return strconv.Itoa(int(p.PID)) },
			cmp: func(a, b *model.Process) int { return int(a.PID) - int(b.PID) }},
		{title: "Name", width: 125, text: func(p *model.Process) string { return orDash(p.Name) }},
		figureColumn("CPU", 68, pct, func(p *model.Process) *float64 { return p.CPUPercent }),
		{title: "Memory", width: 75, text: func(p *model.Process) string { return size(float64(p.RSSBytes)) },
			cmp: func(a, b *model.Process) int { return cmpOpt(&a.RSSBytes, &b.RSSBytes) }},
		{title: "Mem %", width: 70, text: func(p *model.Process) string {
			if l.memTotal == 0 {
				return "—"
			}
			return pct(float64(p.RSSBytes) / float64(l.memTotal) * 100)
		}, cmp: func(a, b *model.Process) int { return cmpOpt(&a.RSSBytes, &b.RSSBytes) }},
	}
}

// filesystemColumns are the Filesystems list's columns. Use % is of the
// space users can have, as df counts it (root's reserve left out).
func filesystemColumns() []column[model.Filesystem] {
	known := func(f *model.Filesystem, v uint64) string {
		if f.Err != "" {
			return "—"
		}
		return size(float64(v))
	}
	use := func(f *model.Filesystem) float64 {
		if f.Err != "" || f.UsedBytes+f.FreeBytes == 0 {
			return -1
		}
		return float64(f.UsedBytes) / float64(f.UsedBytes+f.FreeBytes) * 100
	}
	return []column[model.Filesystem]{
		{title: "Mount", width: 200, text: func(f *model.Filesystem) string { return f.Mount }},
		{title: "Device", width: 170, text: func(f *model.Filesystem) string { return f.Device }},
		{title: "Type", width: 70, text: func(f *model.Filesystem) string { return f.Type }},
		{title: "Size", width: 90, text: func(f *model.Filesystem) string { return known(f, f.TotalBytes) },
			cmp: func(a, b *model.Filesystem) int { return cmpOpt(&a.TotalBytes, &b.TotalBytes) }},
		{title: "Used", width: 90, text: func(f *model.Filesystem) string { return known(f, f.UsedBytes) },
			cmp: func(a, b *model.Filesystem) int { return cmpOpt(&a.UsedBytes, &b.UsedBytes) }},
		{title: "Free", width: 90, text: func(f *model.Filesystem) string { return known(f, f.FreeBytes) },
			cmp: func(a, b *model.Filesystem) int { return cmpOpt(&a.FreeBytes, &b.FreeBytes) }},
		{title: "Use %", width: 75, text: func(f *model.Filesystem) string {
			if u := use(f); u >= 0 {
				return pct(u)
			}
			return "—"
		}, cmp: func(a, b *model.Filesystem) int { x, y := use(a), use(b); return cmpOpt(&x, &y) }},
		{title: "Note", width: 330, text: func(f *model.Filesystem) string { return f.Err }},
	}
}

// tick reads the shown list when it is due, on a job; the charts cost
// nothing here. It runs on the UI goroutine.
func (l *hostLists) tick(now time.Time) {
	sub := l.tabs.SelectedIndex()
	if l.jobs == nil || sub == subCharts || l.reading[sub] {
		return
	}
	every := processEvery
	if sub == subFilesystems {
		every = filesystemEvery
	}
	if now.Sub(l.readAt[sub]) < every {
		return
	}
	l.reading[sub], l.readAt[sub] = true, now
	if sub == subProcesses {
		l.jobs.Go(func(ctx context.Context) {
			p, err := l.readProc(ctx, &l.reader)
			l.uiDo(func() { l.reading[subProcesses] = false; l.showProcesses(p, err) })
		})
		return
	}
	l.jobs.Go(func(ctx context.Context) {
		fss, err := l.readFS(ctx)
		l.uiDo(func() { l.reading[subFilesystems] = false; l.showFilesystems(fss, err) })
	})
}

// showProcesses shows a read of the processes, or why it failed.
func (l *hostLists) showProcesses(p model.Processes, err error) {
	if err != nil {
		l.procs.SetText("The processes cannot be read: " + err.Error() + ". The lists show the last read; Horcrux tries again in " +
			processEvery.String() + ".")
		return
	}
	count := fmt.Sprintf("%d processes", p.Count)
	if p.Count == 1 {
		count = "1 process"
	}
	note := fmt.Sprintf("%s at %s, read every %s while shown", count, p.Time.Format("15:04:05"), processEvery)
	if p.ByCPU == nil {
		note += " · CPU use shows from the second read"
	}
	l.procs.SetText(note)
	for _, x := range []struct {
		t    *itemTable[model.Process]
		list []model.Process
	}{{l.byCPU, p.ByCPU}, {l.byMem, p.ByMemory}} {
		if x.t.set(append([]model.Process(nil), x.list...)) {
			x.t.table.Refresh()
		}
	}
}

// showFilesystems shows the filesystems read, or why they could not be.
func (l *hostLists) showFilesystems(fss []model.Filesystem, err error) {
	if err != nil {
		l.fsNote.SetText(err.Error() + "; Horcrux tries again in " + filesystemEvery.String() + ".")
		return
	}
	l.fsNote.SetText(fmt.Sprintf("%s (pseudo filesystems and bind mounts left out), read every %s while shown",
		plural.Count(len(fss), "filesystem"), filesystemEvery))
	if l.fs.set(fss) {
		l.fs.table.Refresh()
	}
}
