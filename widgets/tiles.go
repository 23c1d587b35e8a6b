package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Tiles lays objects out as a grid with as many columns as fit at the
// widest object's minimum width (at least one), stretching them to share
// the width, so four charts side by side in a wide window become two rows
// of two in a narrow one instead of making the window grow. Rows share
// the height, and never get less than the tallest minimum: inside a
// scroll container the grid then scrolls. Like Flow, it remembers the last
// width and calls Relayout when that changes the number of rows.
type Tiles struct {
	Relayout func()
	width    float32
}

// grid returns the columns and rows at width, and the cell's minimum size.
func tilesGrid(objs []fyne.CanvasObject, width float32) (cols, rows int, cell fyne.Size) {
	n := 0
	for _, o := range objs {
		if o.Visible() {
			n++
			cell = cell.Max(o.MinSize())
		}
	}
	if n == 0 {
		return 0, 0, cell
	}
	pad := theme.Padding()
	cols = n
	if cell.Width > 0 && width > 0 {
		cols = max(1, min(n, int((width+pad)/(cell.Width+pad))))
	}
	return cols, (n + cols - 1) / cols, cell
}

// Layout places the visible objects row by row.
func (t *Tiles) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width != t.width {
		_, before, _ := tilesGrid(objs, t.width)
		t.width = size.Width
		if _, after, _ := tilesGrid(objs, t.width); after != before && t.Relayout != nil {
			defer t.Relayout()
		}
	}
	cols, rows, cell := tilesGrid(objs, size.Width)
	if cols == 0 {
		return
	}
	pad := theme.Padding()
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	h := max(cell.Height, (size.Height-pad*float32(rows-1))/float32(rows))
	i := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(float32(c)*(w+pad), float32(r)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
		i++
	}
}

// MinSize is one cell wide, and as high as the rows need at the width last
// laid out.
func (t *Tiles) MinSize(objs []fyne.CanvasObject) fyne.Size {
	_, rows, cell := tilesGrid(objs, t.width)
	if rows == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(cell.Width, float32(rows)*cell.Height+theme.Padding()*float32(rows-1))
}
