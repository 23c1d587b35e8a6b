package app

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/widgets"
)

// action is a button that acts on the selected item.
type action[T any] struct {
	label   string
	icon    fyne.Resource
	applies func(*T) bool
	// confirm, when set, is asked (with the item's name) before acting.
	confirm string
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
	table    *itemTable[T]
	actions  []action[T]
	buttons  []*widget.Button
	charts   []*widgets.Chart
	// chartTitles are the charts' own titles, shown after the item's name.
	chartTitles []string
	detail      *fyne.Container
	bottom      *fyne.Container // kind-specific panels under the table
	name        func(*T) string
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
	bar := container.NewHBox()
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
	v.detail = container.NewGridWithColumns(len(charts), objs...)
	v.detail.Hide()
	split := container.NewVSplit(v.table.table, v.detail)
	split.Offset = 0.6
	top := container.NewBorder(nil, nil, nil, v.diagnose, v.state)
	v.bottom = container.NewVBox()
	v.root = container.NewBorder(container.NewVBox(top, bar), v.bottom, nil, nil, split)
	return v
}

// showList shows the sources' state and their items; ok says whether
// every source is connected and fresh. The view keeps items (see
// itemTable.set). It runs on the UI goroutine.
func (v *resourceView[T]) showList(ok bool, state string, items []T) {
	if v.state.Text != state {
		v.state.SetText(state)
	}
	if v.diagnose.Visible() == ok && v.diagnose.OnTapped != nil {
		if ok {
			v.diagnose.Hide()
		} else {
			v.diagnose.Show()
		}
	}
	if v.table.set(items) {
		v.table.table.Refresh()
	}
	v.updateButtons()
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
		}
	} else if v.detail.Visible() {
		v.detail.Hide()
	}
}

// updateButtons enables the actions that apply to the selected item.
func (v *resourceView[T]) updateButtons() {
	it, ok := v.table.selectedItem()
	for i, a := range v.actions {
		if ok && !v.busy[v.table.selected] && a.applies(it) {
			v.buttons[i].Enable()
		} else {
			v.buttons[i].Disable()
		}
	}
}

// trigger runs a on the selected item off the UI goroutine, after asking
// when it must, and reports a failure in words.
func (v *resourceView[T]) trigger(a *action[T]) {
	it, ok := v.table.selectedItem()
	if !ok {
		return
	}
	item, key := *it, v.table.selected
	name := v.name(&item)
	do := func() {
		if a.before != nil {
			a.before(&item)
		}
		v.busy[key] = true
		v.updateButtons()
		v.jobs.Go(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, actTimeout)
			defer cancel()
			err := a.run(ctx, &item)
			v.uiDo(func() {
				delete(v.busy, key)
				v.updateButtons()
				if err != nil {
					dialog.ShowError(fmt.Errorf("%s %s: %w", a.label, name, err), v.win)
				}
			})
		})
	}
	if a.confirm == "" {
		do()
		return
	}
	dialog.ShowConfirm(a.label, fmt.Sprintf(a.confirm, name), func(yes bool) {
		if yes {
			do()
		}
	}, v.win)
}

// selectKey selects the item with key k, if it is listed.
func (v *resourceView[T]) selectKey(k string) { v.table.selectKey(k) }
