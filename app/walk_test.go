package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// eachDrawn calls f for o and every visible object under it, as drawn:
// a container's objects and a widget's renderer's.
func eachDrawn(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if !o.Visible() {
		return
	}
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			eachDrawn(child, f)
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			eachDrawn(child, f)
		}
	}
}
