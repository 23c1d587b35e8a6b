package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeSnapshots records what it is asked to do; fail is returned by them.
type fakeSnapshots struct {
	list   []model.VMSnapshot
	checks []model.SnapshotCheck
	fail   error
	done   chan string
}

func (f *fakeSnapshots) Snapshots(context.Context, string) ([]model.VMSnapshot, error) {
	return f.list, nil
}
func (f *fakeSnapshots) SnapshotChecks(context.Context, string) ([]model.SnapshotCheck, error) {
	return f.checks, nil
}
func (f *fakeSnapshots) CreateSnapshot(_ context.Context, _ string, k model.SnapshotKind, name, desc string) error {
	f.done <- "create " + string(k) + " " + name + " " + desc
	return f.fail
}
func (f *fakeSnapshots) RevertSnapshot(_ context.Context, _, name string) error {
	f.done <- "revert " + name
	return f.fail
}
func (f *fakeSnapshots) DeleteSnapshot(_ context.Context, _, name string, children bool) error {
	f.done <- "delete " + name
	return f.fail
}

func sampleSnapshots() *fakeSnapshots {
	at := time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
	return &fakeSnapshots{
		done: make(chan string, 1),
		list: []model.VMSnapshot{
			{Name: "before-upgrade", Time: at, Description: "Debian 12.7", State: model.VMRunning, Memory: true},
			{Name: "after-upgrade", Parent: "before-upgrade", Depth: 1, Time: at.Add(time.Hour), State: model.VMShutoff, Current: true},
		},
		checks: []model.SnapshotCheck{
			{Kind: model.SnapshotInternal},
			{Kind: model.SnapshotDiskOnly, Problems: []string{"libvirt 8.0.0 cannot revert to external snapshots (9.9 can)"}},
		},
	}
}

// openSnapshots opens the view on f and runs its first listing.
func openSnapshots(t *testing.T, f *fakeSnapshots) (*snapshotView, fyne.Window, chan func()) {
	t.Helper()
	w := test.NewTempWindow(t, container.NewStack())
	v := newSnapshotView(w, testJobs(t), f, model.Machine{Name: "hx-details-db", UUID: "u1", State: model.VMRunning})
	ui := make(chan func(), 1)
	v.uiDo = func(f func()) { ui <- f }
	v.reload()
	(<-ui)()
	return v, w, ui
}

// overlayButton is the button labelled text in the window's top overlay.
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open (looking for %s)", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %s button in the dialog", text)
	return nil
}

func TestSnapshotViewPreCheckAndRevert(t *testing.T) {
	test.NewTempApp(t)
	f := sampleSnapshots()
	v, w, ui := openSnapshots(t, f)
	if v.create[model.SnapshotInternal].Disabled() || !v.create[model.SnapshotDiskOnly].Disabled() {
		t.Fatal("Create buttons do not follow the pre-check")
	}
	if !strings.Contains(v.checks.Text, "No disk-only snapshot: libvirt 8.0.0 cannot revert") {
		t.Errorf("the pre-check's reason is not shown: %q", v.checks.Text)
	}
	if !v.revert.Disabled() || !v.del.Disabled() {
		t.Fatal("Revert/Delete enabled with nothing selected")
	}
	if got := snapshotLine(f.list[1]); got != "    └ after-upgrade  ·  2026-11-30 10:15:00  ·  shutoff  ·  (current)" {
		t.Errorf("tree line %q", got)
	}
	v.list.Select(0)
	if v.revert.Disabled() {
		t.Fatal("Revert disabled with a snapshot selected")
	}
	test.Tap(v.revert)
	test.AssertImageMatches(t, "snapshots_revert.png", w.Canvas().Capture())
	msg := labelTexts(w.Canvas().Overlays().Top())
	if !strings.Contains(msg, "Every change to the disks since 2026-11-30 09:15:00 is lost") ||
		!strings.Contains(msg, "running guest's current memory") {
		t.Errorf("the confirmation does not say what is lost: %q", msg)
	}
	if b, ok := w.Canvas().Focused().(*widget.Button); !ok || b.Text != "Cancel" {
		t.Fatalf("the default (focused) button is %v, want Cancel", w.Canvas().Focused())
	}
	test.Tap(overlayButton(t, w, "Cancel"))
	select {
	case got := <-f.done:
		t.Fatalf("Cancel still acted: %s", got)
	default:
	}
	test.Tap(v.revert)
	test.Tap(overlayButton(t, w, "Revert"))
	if got := <-f.done; got != "revert before-upgrade" {
		t.Fatalf("acted %q", got)
	}
	if !v.revert.Disabled() || !v.create[model.SnapshotInternal].Disabled() {
		t.Fatal("buttons stay enabled while the revert runs")
	}
	(<-ui)() // the result, which lists again
	(<-ui)()
	if v.revert.Disabled() && v.create[model.SnapshotInternal].Disabled() {
		t.Fatal("buttons not enabled again after the revert")
	}
}

// A failed delete shows libvirt's reason.
func TestSnapshotViewDeleteFailureShowsTheReason(t *testing.T) {
	test.NewTempApp(t)
	f := sampleSnapshots()
	f.fail = errors.New("cannot delete the snapshot after-upgrade of hx-details-db: Operation not supported: deletion of external disk snapshots not supported")
	v, w, ui := openSnapshots(t, f)
	v.list.Select(1)
	test.Tap(v.del)
	if !strings.Contains(labelTexts(w.Canvas().Overlays().Top()), `Delete the snapshot "after-upgrade" of hx-details-db?`) {
		t.Fatal("Delete does not ask first")
	}
	test.Tap(overlayButton(t, w, "Delete"))
	if got := <-f.done; got != "delete after-upgrade" {
		t.Fatalf("acted %q", got)
	}
	(<-ui)()
	top := w.Canvas().Overlays().Top()
	if top == nil || !strings.Contains(labelTexts(top), "deletion of external disk snapshots not supported") {
		t.Fatal("libvirt's reason not shown")
	}
	(<-ui)()
}

// Create asks for a name and description and passes the kind on.
func TestSnapshotViewCreate(t *testing.T) {
	test.NewTempApp(t)
	f := sampleSnapshots()
	v, w, ui := openSnapshots(t, f)
	test.Tap(v.create[model.SnapshotInternal])
	var entries []*widget.Entry
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) != 2 {
		t.Fatalf("%d entries, want name and description", len(entries))
	}
	test.Type(entries[0], "pre-kernel")
	test.Type(entries[1], "before 6.12")
	test.Tap(overlayButton(t, w, "Take"))
	if got := <-f.done; got != "create internal pre-kernel before 6.12" {
		t.Fatalf("acted %q", got)
	}
	(<-ui)()
	(<-ui)()
}
