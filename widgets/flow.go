package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Flow lays objects out left to right at their minimum size and starts a
// new line when the next one would cross the right edge, so a bar of
// buttons wraps in a narrow window instead of being cut off. Fyne asks
// for a minimum size before it gives a width, so Flow remembers the last
// width it was laid out at and calls Relayout when that changes how many
// lines it needs; the owner then refreshes the container around it.
type Flow struct {
	Relayout func()
	width    float32
}

// lines places objs within width and returns their positions and the height used.
func flowLines(objs []fyne.CanvasObject, width float32) ([]fyne.Position, float32) {
	pad := theme.Padding()
	pos := make([]fyne.Position, len(objs))
	var x, y, lineH float32
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if x > 0 && width > 0 && x+m.Width > width {
			x, y, lineH = 0, y+lineH+pad, 0
		}
		pos[i] = fyne.NewPos(x, y)
		x += m.Width + pad
		lineH = max(lineH, m.Height)
	}
	return pos, y + lineH
}

// Layout places the objects, wrapping at size's width.
func (f *Flow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width != f.width {
		_, before := flowLines(objs, f.width)
		f.width = size.Width
		if _, after := flowLines(objs, f.width); after != before && f.Relayout != nil {
			defer f.Relayout()
		}
	}
	pos, _ := flowLines(objs, size.Width)
	for i, o := range objs {
		o.Move(pos[i])
		o.Resize(o.MinSize())
	}
}

// MinSize is the widest object, and the height of the lines at the width last laid out.
func (f *Flow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w float32
	for _, o := range objs {
		if o.Visible() {
			w = max(w, o.MinSize().Width)
		}
	}
	_, h := flowLines(objs, f.width)
	return fyne.NewSize(w, h)
}
