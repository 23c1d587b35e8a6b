package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// snapshotHost lists, checks, takes, reverts and deletes a machine's
// snapshots; a registry.MachineHost is one.
type snapshotHost interface {
	Snapshots(ctx context.Context, uuid string) ([]model.VMSnapshot, error)
	SnapshotChecks(ctx context.Context, uuid string) ([]model.SnapshotCheck, error)
	CreateSnapshot(ctx context.Context, uuid string, kind model.SnapshotKind, name, description string) error
	RevertSnapshot(ctx context.Context, uuid, name string) error
	DeleteSnapshot(ctx context.Context, uuid, name string, withChildren bool) error
}

// snapshotListTimeout bounds listing and checking; taking, reverting and
// deleting get actTimeout (memory snapshots of big guests take minutes).
const snapshotListTimeout = 30 * time.Second

// snapshotView is the window of one machine's snapshots: a tree with
// Create (one button per kind, disabled with the pre-check's reason),
// Revert and Delete.
type snapshotView struct {
	win      fyne.Window
	jobs     *jobs
	src      snapshotHost
	m        model.Machine
	status   *widget.Label
	list     *widget.List
	checks   *widget.Label // why a Create button is disabled
	create   map[model.SnapshotKind]*widget.Button
	revert   *widget.Button
	del      *widget.Button
	snaps    []model.VMSnapshot
	selected int // index in snaps, -1 for none
	busy     bool
	uiDo     func(func())
}

// showSnapshots opens the snapshots window of m and lists them.
func showSnapshots(a fyne.App, j *jobs, src snapshotHost, m model.Machine) *snapshotView {
	v := newSnapshotView(a.NewWindow("Snapshots: "+m.Name), j, src, m)
	v.reload()
	v.win.Show()
	return v
}

func newSnapshotView(w fyne.Window, j *jobs, src snapshotHost, m model.Machine) *snapshotView {
	v := &snapshotView{win: w, jobs: j, src: src, m: m, selected: -1, uiDo: fyne.Do,
		status: widget.NewLabel("Reading the snapshots…"), checks: widget.NewLabel(""),
		create: map[model.SnapshotKind]*widget.Button{}}
	v.status.Wrapping = fyne.TextWrapWord
	v.checks.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(func() int { return len(v.snaps) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(snapshotLine(v.snaps[i])) })
	v.list.OnSelected = func(i widget.ListItemID) { v.selected = i; v.updateButtons() }
	v.list.OnUnselected = func(widget.ListItemID) { v.selected = -1; v.updateButtons() }
	bar := container.NewHBox()
	for _, k := range []model.SnapshotKind{model.SnapshotInternal, model.SnapshotDiskOnly} {
		label := "Take snapshot"
		if k == model.SnapshotDiskOnly {
			label = "Take disk-only snapshot"
		}
		b := widget.NewButtonWithIcon(label, theme.ContentAddIcon(), func() { v.askCreate(k) })
		b.Disable()
		v.create[k] = b
		bar.Add(b)
	}
	v.revert = widget.NewButtonWithIcon("Revert", theme.MediaReplayIcon(), v.askRevert)
	v.del = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), v.askDelete)
	bar.Add(v.revert)
	bar.Add(v.del)
	v.updateButtons()
	w.SetContent(container.NewBorder(container.NewVBox(v.status, bar, v.checks), nil, nil, nil, v.list))
	w.Resize(fyne.NewSize(760, 480))
	return v
}

// snapshotLine is one row of the tree: indented by depth, with its time,
// state, kind, description and a mark on the current one.
func snapshotLine(s model.VMSnapshot) string {
	line := strings.Repeat("    ", s.Depth)
	if s.Depth > 0 {
		line += "└ "
	}
	line += s.Name + "  ·  " + s.Time.Format(time.DateTime) + "  ·  " + string(s.State)
	switch {
	case s.External:
		line += "  ·  disk-only"
	case s.Memory:
		line += "  ·  with memory"
	}
	if s.Description != "" {
		line += "  ·  " + s.Description
	}
	if s.Current {
		line += "  ·  (current)"
	}
	return line
}

// updateButtons enables what applies: Create per the pre-check, Revert
// and Delete with a snapshot selected, nothing while an operation runs.
func (v *snapshotView) updateButtons() {
	set := func(b *widget.Button, on bool) {
		if on && !v.busy {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	picked := v.selected >= 0 && v.selected < len(v.snaps)
	set(v.revert, picked)
	set(v.del, picked)
}

// reload lists the snapshots and runs the pre-checks in a job.
func (v *snapshotView) reload() {
	v.busy = true
	v.updateButtons()
	v.jobs.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, snapshotListTimeout)
		defer cancel()
		snaps, err := v.src.Snapshots(ctx, v.m.UUID)
		checks, cerr := v.src.SnapshotChecks(ctx, v.m.UUID)
		v.uiDo(func() { v.show(snaps, err, checks, cerr) })
	})
}

// show puts a listing and the pre-checks on screen; it runs on the UI goroutine.
func (v *snapshotView) show(snaps []model.VMSnapshot, err error, checks []model.SnapshotCheck, cerr error) {
	v.busy = false
	v.snaps, v.selected = snaps, -1
	v.list.UnselectAll()
	v.list.Refresh()
	switch {
	case err != nil:
		v.status.SetText(err.Error())
	case len(snaps) == 0:
		v.status.SetText(v.m.Name + " has no snapshots.")
	default:
		v.status.SetText(fmt.Sprintf("%s has %d snapshots.", v.m.Name, len(snaps)))
	}
	v.checks.SetText(checkWords(checks, cerr))
	for k, b := range v.create {
		b.Disable()
		if cerr == nil {
			for _, c := range checks {
				if c.Kind == k && c.OK() {
					b.Enable()
				}
			}
		}
	}
	v.updateButtons()
}

// checkWords says why each kind of snapshot cannot be taken, and its warnings.
func checkWords(checks []model.SnapshotCheck, err error) string {
	if err != nil {
		return "Cannot take snapshots: " + err.Error()
	}
	var lines []string
	for _, c := range checks {
		for _, p := range c.Problems {
			lines = append(lines, "No "+c.Kind.String()+": "+p)
		}
		for _, w := range c.Warnings {
			lines = append(lines, "Note on the "+c.Kind.String()+": "+w)
		}
	}
	return strings.Join(lines, "\n")
}

// run does one operation in a job, shows its failure with libvirt's
// reason, and lists the snapshots again.
func (v *snapshotView) run(what string, op func(ctx context.Context) error) {
	v.busy = true
	v.updateButtons()
	for _, b := range v.create {
		b.Disable()
	}
	v.status.SetText(what + "…")
	v.jobs.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, actTimeout)
		defer cancel()
		err := op(ctx)
		v.uiDo(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s: %w", what, err), v.win)
			}
			v.reload()
		})
	})
}

// askCreate asks for a name and description, then takes the snapshot.
func (v *snapshotView) askCreate(k model.SnapshotKind) {
	name := widget.NewEntry()
	name.SetPlaceHolder("empty: libvirt names it after the time")
	desc := widget.NewEntry()
	items := []*widget.FormItem{widget.NewFormItem("Name", name), widget.NewFormItem("Description", desc)}
	dialog.ShowForm("Take a "+k.String(), "Take", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		n, d := strings.TrimSpace(name.Text), desc.Text
		v.run("Taking a "+k.String()+" of "+v.m.Name, func(ctx context.Context) error {
			return v.src.CreateSnapshot(ctx, v.m.UUID, k, n, d)
		})
	}, v.win)
}

// askRevert says what reverting loses and reverts only on a clear yes.
func (v *snapshotView) askRevert() {
	if v.selected < 0 || v.selected >= len(v.snaps) {
		return
	}
	s := v.snaps[v.selected]
	msg := fmt.Sprintf("Revert %s to %q?\n%s.", v.m.Name, s.Name, capitalize(s.RevertLoses(v.m.State)))
	askDanger(v.win, "Revert to a snapshot", msg, "Revert", func() {
		v.run("Reverting "+v.m.Name+" to "+s.Name, func(ctx context.Context) error {
			return v.src.RevertSnapshot(ctx, v.m.UUID, s.Name)
		})
	})
}

// askDelete deletes the selected snapshot after asking; its children are kept.
func (v *snapshotView) askDelete() {
	if v.selected < 0 || v.selected >= len(v.snaps) {
		return
	}
	s := v.snaps[v.selected]
	msg := fmt.Sprintf("Delete the snapshot %q of %s?\nThe machine itself is not changed; it can no longer go back to this point.", s.Name, v.m.Name)
	askDanger(v.win, "Delete a snapshot", msg, "Delete", func() {
		v.run("Deleting the snapshot "+s.Name+" of "+v.m.Name, func(ctx context.Context) error {
			return v.src.DeleteSnapshot(ctx, v.m.UUID, s.Name, false)
		})
	})
}

// askDanger asks before a destructive act: Cancel is the default (it has
// the focus, so Enter or Space cancels) and the act is in the danger colour.
func askDanger(w fyne.Window, title, message, act string, do func()) *dialog.CustomDialog {
	text := widget.NewLabel(message)
	text.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	yes := widget.NewButtonWithIcon(act, theme.WarningIcon(), func() { d.Hide(); do() })
	yes.Importance = widget.DangerImportance
	d = dialog.NewCustomWithoutButtons(title, text, w)
	d.SetButtons([]fyne.CanvasObject{cancel, yes})
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	w.Canvas().Focus(cancel)
	return d
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
