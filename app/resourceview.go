package app

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/internal/plural"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// action is a button that acts on the selected item.
type action[T any] struct {
	label   string
	icon    fyne.Resource
	applies func(*T) bool
	// confirm, when set, is asked (with the item's name) before acting.
	confirm string
	// opens marks the action Enter runs (a console, the logs): the first
	// that applies.
	opens bool
	// removes marks the action Delete runs; it must ask first (confirm).
	removes bool
	// single marks an action that opens something (a console, a window):
	// it acts on one item, never on every selected one.
	single bool
	// before, when set, runs on the UI goroutine just before the action
	// (to tell the alerts a stop was asked for).
	before func(*T)
	run    func(ctx context.Context, it *T) error
}

// actTimeout bounds one lifecycle action started from a button.
const actTimeout = 2 * time.Minute

// resourceView is a Machines or Containers tab: the source's state, a
// sortable table, buttons acting on the selected item and its live charts.
type resourceView[T any] struct {
	root     fyne.CanvasObject
	state    *widget.Label
	diagnose *widget.Button // shown while the source is unavailable
	// The state is a banner while a source needs attention: a coloured
	// background and a warning icon beside the reason and Diagnose.
	bannerBG   *canvas.Rectangle
	bannerIcon *widget.Icon
	table      *itemTable[T]
	filter     *filterEntry    // Ctrl+F
	shown      *widget.Label   // how many rows the filter lets through
	find       *fyne.Container // the filter box and that count
	actions    []action[T]
	buttons    []*widget.Button
	charts     []*widgets.Chart
	// chartTitles are the charts' own titles, shown after the item's name.
	chartTitles []string
	detail      *fyne.Container
	chartBar    *fyne.Container // above the charts, on the right: the chart range
	bottom      *fyne.Container // kind-specific panels under the table
	name        func(*T) string
	noun        string // what an item is called ("machine"), for questions
	win         fyne.Window
	busy        map[string]bool // keys with an action in flight
	jobs        *jobs           // runs the actions
	// uiDo runs a function on the UI goroutine: fyne.Do, or a queue in tests
	// (the test driver's fyne.Do runs on the calling goroutine).
	uiDo func(func())
}

func newResourceView[T any](win fyne.Window, j *jobs, cols []column[T], key, name func(*T) string,
	actions []action[T], charts []*widgets.Chart, onSelect func(string)) *resourceView[T] {
	v := &resourceView[T]{
		jobs:    j,
		state:   widget.NewLabel(""),
		actions: actions,
		charts:  charts,
		name:    name,
		win:     win,
		busy:    make(map[string]bool),
		uiDo:    fyne.Do,
	}
	for _, c := range charts {
		v.chartTitles = append(v.chartTitles, c.Title())
	}
	v.state.Wrapping = fyne.TextWrapWord
	v.diagnose = widget.NewButtonWithIcon("Diagnose", theme.HelpIcon(), nil)
	v.diagnose.Hide()
	v.table = newItemTable(cols, key, func(k string) {
		onSelect(k)
		v.updateButtons()
	})
	v.table.onMarks = v.updateButtons
	v.table.onEnter = v.open
	v.table.table.del = v.remove
	v.shown = widget.NewLabel("")
	v.filter = newFilterEntry(v.table.move, v.open)
	v.filter.OnChanged = func(text string) {
		v.table.setFilter(parseFilter(text))
		v.showCount()
		v.updateButtons()
	}
	// The buttons wrap onto more lines in a narrow window rather than being cut off.
	flow := &widgets.Flow{}
	bar := container.New(flow)
	for i := range actions {
		a := &actions[i]
		b := widget.NewButtonWithIcon(a.label, a.icon, func() { v.trigger(a) })
		b.Disable()
		v.buttons = append(v.buttons, b)
		bar.Add(b)
	}
	objs := make([]fyne.CanvasObject, len(charts))
	for i, c := range charts {
		objs[i] = c
	}
	v.chartBar = container.NewHBox()
	// The charts wrap into rows in a narrow window, and scroll when the
	// rows do not fit below the list.
	tiles := &widgets.Tiles{}
	grid := container.NewVScroll(container.New(tiles, objs...))
	tiles.Relayout = grid.Refresh
	v.detail = container.NewBorder(container.NewBorder(nil, nil, nil, v.chartBar), nil, nil, nil, grid)
	v.detail.Hide()
	split := container.NewVSplit(v.table.root, v.detail)
	split.Offset = 0.6
	v.bannerBG = canvas.NewRectangle(color.Transparent)
	v.bannerBG.CornerRadius = theme.InputRadiusSize()
	v.bannerIcon = widget.NewIcon(theme.WarningIcon())
	v.bannerIcon.Hide()
	top := container.NewStack(v.bannerBG, container.NewBorder(nil, nil, v.bannerIcon, v.diagnose, v.state))
	var columns *widget.Button
	columns = widget.NewButtonWithIcon("Columns", theme.ListIcon(), func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(columns)
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(columns).AddXY(0, columns.Size().Height)
		widget.ShowPopUpMenuAtPosition(v.table.columnsMenu(), c, pos)
	})
	v.find = container.NewBorder(nil, nil, nil, container.NewHBox(v.shown, columns), v.filter)
	v.bottom = container.NewVBox()
	v.root = container.NewBorder(container.NewVBox(top, bar, v.find), v.bottom, nil, nil, split)
	flow.Relayout = func() { v.root.Refresh() }
	return v
}

// showList shows the sources' state and their items; ok says whether
// every source is connected and fresh. The view keeps items (see
// itemTable.set). It runs on the UI goroutine.
func (v *resourceView[T]) showList(ok bool, state string, items []T) {
	relayout := v.state.Text != state || v.bannerIcon.Visible() == ok
	if v.state.Text != state {
		v.state.SetText(state)
	}
	v.showBanner(ok)
	if relayout {
		// The banner's height follows its wrapped text and what it shows:
		// lay the tab out again, or the text runs over the buttons.
		v.root.Refresh()
	}
	if v.table.set(items) {
		v.table.table.Refresh()
	}
	v.showCount()
	v.updateButtons()
}

// showBanner colours the state line and shows the icon and Diagnose while
// a source needs attention (ok false).
func (v *resourceView[T]) showBanner(ok bool) {
	if v.bannerIcon.Visible() != ok {
		return // already so
	}
	if ok {
		v.bannerBG.FillColor = color.Transparent
		v.bannerIcon.Hide()
		v.diagnose.Hide()
	} else {
		c := theme.Color(theme.ColorNameWarning)
		r, g, b, _ := c.RGBA()
		v.bannerBG.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x50}
		v.bannerIcon.Show()
		if v.diagnose.OnTapped != nil {
			v.diagnose.Show()
		}
	}
	v.bannerBG.Refresh()
}

// showCount says how many items the filter lets through, when one is set.
func (v *resourceView[T]) showCount() {
	text := ""
	if shown, total := v.table.counts(); !v.table.filter.empty() {
		text = fmt.Sprintf("%d of %d", shown, total)
	}
	if v.shown.Text != text {
		v.shown.SetText(text)
		v.find.Refresh() // the count's width changed: lay the row out again
	}
}

// remove runs the action marked removes on the selected items it
// applies to; it asks first.
func (v *resourceView[T]) remove() {
	for i := range v.actions {
		if a := &v.actions[i]; a.removes && a.confirm != "" && len(v.targets(a)) > 0 {
			v.trigger(a)
			return
		}
	}
}

// open runs the first action marked opens that applies to the selected
// item: what Enter does.
func (v *resourceView[T]) open() {
	for i := range v.actions {
		if a := &v.actions[i]; a.opens && len(v.targets(a)) > 0 {
			v.trigger(a)
			return
		}
	}
}

// showCharts shows the selected item's history, or hides the charts when
// nothing is selected (charts nil).
func (v *resourceView[T]) showCharts(charts []widgets.ChartData) {
	it, selected := v.table.selectedItem()
	if selected && charts != nil {
		for i, c := range v.charts {
			c.SetData(charts[i])
			c.SetTitle(v.name(it) + " · " + v.chartTitles[i])
		}
		if !v.detail.Visible() {
			v.detail.Show()
			v.root.Refresh() // the split shares its height again
		}
	} else if v.detail.Visible() {
		v.detail.Hide()
		v.root.Refresh()
	}
}

// targets are the selected items a acts on: every selected one it applies
// to and that has no action in flight; for an action that opens something,
// the one selected item, and none when several are.
func (v *resourceView[T]) targets(a *action[T]) []*T {
	marked := v.table.markedItems()
	if a.single && len(marked) != 1 {
		return nil
	}
	out := make([]*T, 0, len(marked))
	for _, it := range marked {
		if !v.busy[v.table.key(it)] && a.applies(it) {
			out = append(out, it)
		}
	}
	return out
}

// updateButtons enables the actions that apply to a selected item.
func (v *resourceView[T]) updateButtons() {
	for i := range v.actions {
		if len(v.targets(&v.actions[i])) > 0 {
			v.buttons[i].Enable()
		} else {
			v.buttons[i].Disable()
		}
	}
}

// trigger runs a on the selected items it applies to, off the UI
// goroutine, after asking when it must: always when it acts on several,
// once, saying on how many. Failures are reported together, in words.
func (v *resourceView[T]) trigger(a *action[T]) {
	its := v.targets(a)
	if len(its) == 0 {
		return
	}
	items := make([]T, len(its))
	keys := make([]string, len(its))
	names := make([]string, len(its))
	for i, it := range its {
		items[i], keys[i], names[i] = *it, v.table.key(it), v.name(it)
	}
	do := func() {
		left := len(items)
		var failed []string
		for i := range items {
			item, key, name := &items[i], keys[i], names[i]
			if a.before != nil {
				a.before(item)
			}
			v.busy[key] = true
			v.jobs.Go(func(ctx context.Context) {
				ctx, cancel := context.WithTimeout(ctx, actTimeout)
				defer cancel()
				err := a.run(ctx, item)
				v.uiDo(func() {
					delete(v.busy, key)
					if err != nil {
						failed = append(failed, fmt.Sprintf("%s: %v", name, err))
					}
					if left--; left > 0 {
						return
					}
					v.updateButtons()
					v.table.keepInView()
					switch {
					case len(failed) == 1 && len(items) == 1:
						dialog.ShowError(fmt.Errorf("%s %s: %s", a.label, name, strings.TrimPrefix(failed[0], name+": ")), v.win)
					case len(failed) > 0:
						dialog.ShowError(fmt.Errorf("%s failed for %d of %s:\n%s", a.label, len(failed),
							plural.Count(len(items), v.noun), strings.Join(failed, "\n")), v.win)
					}
				})
			})
		}
		v.updateButtons()
	}
	selected := len(v.table.marked)
	switch {
	case len(items) == 1 && selected == 1 && a.confirm == "":
		do()
	case len(items) == 1 && selected == 1:
		confirmDanger(v.win, a.label+"?", a.label, fmt.Sprintf(a.confirm, names[0]), do)
	default:
		what := plural.Count(len(items), v.noun)
		list := nameList(names)
		switch skipped := selected - len(items); {
		case skipped == 1:
			list += fmt.Sprintf(". 1 other selected is left as it is: %s does not apply to it, or it is busy.", a.label)
		case skipped > 1:
			list += fmt.Sprintf(". %d other selected are left as they are: %s does not apply to them, or they are busy.", skipped, a.label)
		}
		title := a.label + " " + what + "?"
		if a.confirm != "" {
			confirmDanger(v.win, title, a.label, fmt.Sprintf(a.confirm, what+" ("+list+")"), do)
		} else {
			confirmAction(v.win, title, a.label, list, do)
		}
	}
}

// nameList is the names of the items an action acts on, the first few
// and how many more.
func nameList(names []string) string {
	const most = 6
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:most-1], ", ") + fmt.Sprintf(" and %d more", len(names)-most+1)
}

// confirmAction asks once before an action on several items that loses
// nothing; the action is the default answer.
func confirmAction(win fyne.Window, title, action, text string, do func()) dialog.Dialog {
	body := widget.NewLabel(text)
	body.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, action, "Cancel", body, func(ok bool) {
		if ok {
			do()
		}
	}, win)
	d.Resize(fyne.NewSize(min(460, win.Canvas().Size().Width-40), 0))
	d.Show()
	return d
}

// confirmDanger asks before an action that loses data. Cancel is the
// default: it is the highlighted button and has the keyboard focus, so
// Space or a hurried click on the prominent button never acts; the
// action's own button is named after it, never "Yes".
func confirmDanger(win fyne.Window, title, action, question string, do func()) dialog.Dialog {
	text := widget.NewLabel(question)
	text.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	cancel.Importance = widget.HighImportance
	act := widget.NewButtonWithIcon(action, theme.WarningIcon(), func() {
		d.Hide()
		do()
	})
	act.Importance = widget.DangerImportance
	buttons := container.NewHBox(layout.NewSpacer(), act, cancel)
	d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, buttons, nil, nil, text), win)
	d.Resize(fyne.NewSize(min(460, win.Canvas().Size().Width-40), 0))
	d.Show()
	win.Canvas().Focus(cancel)
	return d
}

// selectKey selects the item with key k, if it is listed.
func (v *resourceView[T]) selectKey(k string) { v.table.selectKey(k) }

// focusFilter puts the cursor in the filter box, its text selected: Ctrl+F.
func (v *resourceView[T]) focusFilter() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.filter); c != nil {
		c.Focus(v.filter)
		v.filter.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

// filterEntry is the filter box: Up and Down select rows of the table and
// Enter opens the selected one, so a search ends without the mouse; Escape
// clears it.
type filterEntry struct {
	widget.Entry
	move func(int)
	open func()
}

func newFilterEntry(move func(int), open func()) *filterEntry {
	e := &filterEntry{move: move, open: open}
	e.PlaceHolder = "Filter (Ctrl+F): words, or column:word (state:running, host:far); -word leaves out"
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey moves the table's selection or opens it; other keys edit.
func (e *filterEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		e.move(1)
	case fyne.KeyUp:
		e.move(-1)
	case fyne.KeyReturn, fyne.KeyEnter:
		e.open()
	case fyne.KeyEscape:
		e.SetText("")
	default:
		e.Entry.TypedKey(k)
	}
}
