package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
)

// diagnostics is the Diagnostics tab: every doctor check with its fix, and
// a button to run them again.
type diagnostics struct {
	root    fyne.CanvasObject
	cfg     func() doctor.Config // the hosts to check, as they are when the checks start
	list    *fyne.Container
	status  *widget.Label
	rerun   *widget.Button
	running bool
	ran     bool // the checks ran at least once
	uiDo    func(func())
	jobs    *jobs
}

func newDiagnostics(j *jobs, cfg func() doctor.Config) *diagnostics {
	d := &diagnostics{cfg: cfg, list: container.NewVBox(), status: widget.NewLabel(""), uiDo: fyne.Do, jobs: j}
	d.rerun = widget.NewButtonWithIcon("Run the checks again", theme.ViewRefreshIcon(), d.run)
	top := container.NewBorder(nil, nil, nil, d.rerun, d.status)
	d.root = container.NewBorder(top, nil, nil, nil, container.NewVScroll(d.list))
	return d
}

// render runs the checks the first time the tab is shown.
func (d *diagnostics) render(*model.Snapshot) {
	if !d.ran {
		d.run()
	}
}

// run starts the checks off the UI goroutine; one run at a time.
func (d *diagnostics) run() {
	if d.running {
		return
	}
	d.running, d.ran = true, true
	d.rerun.Disable()
	d.status.SetText("Checking…")
	cfg := d.cfg()
	d.jobs.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		rs := doctor.Run(ctx, cfg)
		d.uiDo(func() { d.show(rs) })
	})
}

// show lists the results, problems first. It runs on the UI goroutine.
func (d *diagnostics) show(rs []doctor.Result) {
	d.running = false
	d.rerun.Enable()
	failed, warned := 0, 0
	d.list.RemoveAll()
	for _, want := range []doctor.Status{doctor.StatusFailed, doctor.StatusWarning, doctor.StatusOK} {
		for _, r := range rs {
			if r.Status != want {
				continue
			}
			switch r.Status {
			case doctor.StatusFailed:
				failed++
			case doctor.StatusWarning:
				warned++
			}
			d.list.Add(resultCard(r))
		}
	}
	d.status.SetText(summary(len(rs), failed, warned, time.Now()))
}

func summary(n, failed, warned int, at time.Time) string {
	s := at.Format("15:04:05") + ": "
	switch {
	case failed > 0:
		return s + plural.Count(failed, "check") + " failed, " + plural.Count(warned, "warning")
	case warned > 0:
		return s + "nothing failed; " + plural.Count(warned, "warning")
	}
	return s + "all " + plural.Count(n, "check") + " passed"
}

// resultCard shows one check: its status, what was found and, when not ok,
// the fix, wrapped and selectable, with a Copy button for each command in it.
func resultCard(r doctor.Result) fyne.CanvasObject {
	icon := widget.NewIcon(theme.ConfirmIcon())
	imp := widget.SuccessImportance
	switch r.Status {
	case doctor.StatusFailed:
		icon.SetResource(theme.ErrorIcon())
		imp = widget.DangerImportance
	case doctor.StatusWarning:
		icon.SetResource(theme.WarningIcon())
		imp = widget.WarningImportance
	}
	title := widget.NewLabel(r.Check)
	title.TextStyle.Bold = true
	title.Importance = imp
	detail := widget.NewLabel(r.Detail)
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	body := container.NewVBox(title, detail)
	if r.Fix != "" {
		fix := widget.NewLabel("Fix: " + r.Fix)
		fix.Wrapping = fyne.TextWrapWord
		fix.Selectable = true
		body.Add(fix)
		for _, cmd := range fixCommands(r.Fix) {
			body.Add(commandRow(cmd))
		}
	}
	return container.NewBorder(nil, nil, container.NewVBox(icon), nil, body)
}

// commandRow is a command in monospace with a button that copies it.
func commandRow(cmd string) fyne.CanvasObject {
	text := widget.NewLabel(cmd)
	text.TextStyle.Monospace = true
	text.Wrapping = fyne.TextWrapBreak
	text.Selectable = true
	var copyButton *widget.Button
	copyButton = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(cmd)
		copyButton.SetText("Copied")
	})
	copyButton.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, copyButton, text)
}

// fixCommands are the commands in a fix, in order: each `quoted` one, and
// a fix that starts with a command ("sudo systemctl start docker, then …")
// up to where the prose resumes.
func fixCommands(fix string) []string {
	var cmds []string
	add := func(c string) {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(cmds, c) {
			cmds = append(cmds, c)
		}
	}
	for _, w := range []string{"sudo ", "export ", "systemctl ", "virsh ", "docker ", "ssh "} {
		if strings.HasPrefix(fix, w) {
			end := len(fix)
			for _, stop := range []string{", ", " (", "; ", "`"} {
				if i := strings.Index(fix, stop); i >= 0 && i < end {
					end = i
				}
			}
			add(fix[:end])
			break
		}
	}
	parts := strings.Split(fix, "`")
	for i := 1; i < len(parts)-1; i += 2 { // the odd parts are inside backquotes
		add(parts[i])
	}
	return cmds
}
