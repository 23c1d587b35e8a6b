package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// rangeBar is the chart window chooser with Live beside it. The Host tab
// has one and so has each resource tab above its selected item's charts;
// all show the window's one chart range (the Host tab's window, lastLive
// and zoomEnd), so a VM zoomed into shows the host at the same moment.
type rangeBar struct {
	box     *fyne.Container
	chooser *widget.Select
	live    *widget.Button // shown while the charts show the past
}

// newRangeBar makes a bar showing window; onWindow is told the window
// picked, onLive that Live was pressed.
func newRangeBar(window time.Duration, past bool, onWindow func(time.Duration), onLive func()) *rangeBar {
	labels := make([]string, len(windowChoices))
	for i, c := range windowChoices {
		labels[i] = c.label
	}
	b := &rangeBar{}
	b.chooser = widget.NewSelect(labels, func(s string) {
		for _, c := range windowChoices {
			if c.label == s {
				onWindow(c.d)
			}
		}
	})
	b.chooser.Selected = windowLabel(window)
	b.live = widget.NewButtonWithIcon("Live", theme.MediaPlayIcon(), onLive)
	b.live.Hidden = !past
	b.box = container.NewHBox(b.live, widget.NewLabel("Window"), b.chooser)
	return b
}

// show brings the bar up to the range: the window chosen (0 while zoomed,
// which keeps the one zoomed from) and Live while the past is shown. It
// reports whether Live appeared or went, so the caller lays its tab out
// again.
func (b *rangeBar) show(chosen time.Duration, past bool) (relayout bool) {
	for _, c := range windowChoices {
		if c.d == chosen && b.chooser.Selected != c.label {
			b.chooser.Selected = c.label // not SetSelected: that would pick it again
			b.chooser.Refresh()
		}
	}
	if b.live.Hidden == past {
		b.live.Hidden = !past
		return true
	}
	return false
}
