package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// pageRows is how far Page Up and Page Down move the selection.
const pageRows = 20

// rowTable is a Table whose arrow keys select rows (not only move a focus
// box), whose Enter opens the selected row and Ctrl+A selects every row.
type rowTable struct {
	widget.Table
	move      func(delta int)
	enter     func()
	del       func()      // Delete: asks to remove; may be nil
	selectAll func()      // Ctrl+A; may be nil
	grip      *columnGrip // a column being resized

	grid     *tableGrid        // the separator lines between the cells
	widths   map[int]float32   // set by SetColumnWidth: every shown column has one
	rowH     float32           // the cells' height, as laid out
	content  *container.Scroll // the Table's scroller of cells; nil before it is rendered
	widthBuf []float32         // reused by placeGrid
}

func newRowTable(move func(int), enter func()) *rowTable {
	t := &rowTable{move: move, enter: enter, grid: newTableGrid(), widths: map[int]float32{}}
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer is the Table's with the grid's lines under the cells, where
// the Table's own lines would be (the scrollers' shadows and bars lie over
// them); selected cells draw their own over their background. The Table's
// own lines stay hidden: their layer lies over the headers and would take
// the drags that resize columns.
func (t *rowTable) CreateRenderer() fyne.WidgetRenderer {
	r := t.Table.CreateRenderer()
	for _, o := range r.Objects() {
		if s, ok := o.(*container.Scroll); ok {
			t.content = s
			scrolled := s.OnScrolled
			s.OnScrolled = func(p fyne.Position) {
				if scrolled != nil {
					scrolled(p)
				}
				t.placeGrid(false)
			}
		}
	}
	return &gridTableRenderer{WidgetRenderer: r, t: t, objects: append([]fyne.CanvasObject{t.grid.layer}, r.Objects()...)}
}

// SetColumnWidth sets the width of column id and moves the lines.
func (t *rowTable) SetColumnWidth(id int, width float32) {
	t.Table.SetColumnWidth(id, width)
	t.widths[id] = width
	t.placeGrid(false)
}

// cellHeight is told the height the cells are laid out at.
func (t *rowTable) cellHeight(h float32) {
	if h != t.rowH {
		t.rowH = h
		t.placeGrid(false)
	}
}

// placeGrid moves the lines to where the cells are now, if that changed;
// recolor also brings their colour in line with the theme.
func (t *rowTable) placeGrid(recolor bool) {
	if t.content == nil || t.Length == nil {
		return
	}
	rows, cols := t.Length()
	t.widthBuf = t.widthBuf[:0]
	for i := range cols {
		t.widthBuf = append(t.widthBuf, t.widths[i])
	}
	t.grid.show(gridGeom{
		origin: t.content.Position(), view: t.content.Size(), offset: t.content.Offset,
		widths: t.widthBuf, rowH: t.rowH, rows: rows,
		gap: cellGap, thick: theme.Size(theme.SizeNameSeparatorThickness),
	}, recolor)
}

// gridTableRenderer is the Table's renderer with the grid's layer first.
type gridTableRenderer struct {
	fyne.WidgetRenderer
	t       *rowTable
	objects []fyne.CanvasObject
}

func (r *gridTableRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	r.t.placeGrid(false)
}

func (r *gridTableRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	r.t.placeGrid(true)
}

func (r *gridTableRenderer) Objects() []fyne.CanvasObject { return r.objects }

// TypedKey selects with Up, Down, Page Up, Page Down, Home and End, opens
// with Enter and asks to remove with Delete; other keys do what a Table does.
func (t *rowTable) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyUp:
		t.move(-1)
	case fyne.KeyDown:
		t.move(1)
	case fyne.KeyPageUp:
		t.move(-pageRows)
	case fyne.KeyPageDown:
		t.move(pageRows)
	case fyne.KeyHome:
		t.move(-1 << 30)
	case fyne.KeyEnd:
		t.move(1 << 30)
	case fyne.KeyReturn, fyne.KeyEnter:
		t.enter()
	case fyne.KeyDelete:
		if t.del != nil {
			t.del()
		}
	default:
		t.Table.TypedKey(e)
	}
}

// TypedShortcut selects every row on Ctrl+A.
func (t *rowTable) TypedShortcut(s fyne.Shortcut) {
	if _, ok := s.(*fyne.ShortcutSelectAll); ok && t.selectAll != nil {
		t.selectAll()
	}
}

// Tapped selects the cell tapped, as a Table does, and takes the keyboard
// focus for the arrows and Ctrl+A. Table.Tapped focuses only when the
// driver finds a canvas for the embedded Table, which the window's driver
// never does for a Table extended like this one.
func (t *rowTable) Tapped(e *fyne.PointEvent) {
	t.Table.Tapped(e)
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil && c.Focused() != t {
		c.Focus(t)
	}
}

// MouseUp ends a column resize released over the rows.
func (t *rowTable) MouseUp(e *desktop.MouseEvent) {
	t.Table.MouseUp(e)
	if t.grip != nil {
		t.grip.end()
	}
}

// cellGap is the space between a table's cells (the compact theme's
// padding); the separator lines are drawn in it.
const cellGap = 2

// separators are a cell's lines to its right and below it, in the gaps
// between cells. Cells draw them because the table's own separator layer is
// hidden: it covers the headers and would take the drags that resize
// columns.
type separators struct{ right, below *canvas.Rectangle }

func newSeparators() separators {
	c := theme.Color(theme.ColorNameSeparator)
	return separators{canvas.NewRectangle(c), canvas.NewRectangle(c)}
}

// layout places the lines around a cell of size, the one below it only
// when below.
func (s separators) layout(size fyne.Size, below bool) {
	th := theme.Size(theme.SizeNameSeparatorThickness)
	off := (cellGap - th) / 2
	s.right.Move(fyne.NewPos(size.Width+off, 0))
	if below {
		s.right.Resize(fyne.NewSize(th, size.Height+cellGap))
		s.below.Move(fyne.NewPos(0, size.Height+off))
		s.below.Resize(fyne.NewSize(size.Width+cellGap, th))
	} else {
		s.right.Resize(fyne.NewSize(th, size.Height))
	}
	s.below.Hidden = !below
}

// refresh redraws the lines in the theme's colour.
func (s separators) refresh() {
	c := theme.Color(theme.ColorNameSeparator)
	for _, r := range []*canvas.Rectangle{s.right, s.below} {
		if r.FillColor != c {
			r.FillColor = c
			r.Refresh()
		}
	}
}

// Cell paddings: compact rows (about 25 px instead of the 37 of a Label)
// show about 30 rows at 1440x900 instead of 18.
const (
	cellPadX = 6
	cellPadY = 3
)

// tableCell is one cell: its text ellipsized to the column, the selected
// row's background, and the full text on hover when it does not fit. The
// lines between cells are the table's grid (and a selected cell's own). It
// draws a canvas.Text itself: a Label's padding makes rows too tall, and
// it fits the text again only when the text or the width changed.
type tableCell struct {
	widget.BaseWidget
	bg     *canvas.Rectangle
	sep    separators // drawn only over a selected cell's background
	shown  *canvas.Text
	full   string  // the whole text; shown holds what fits
	fitFor float32 // the width shown was fitted to
	hover  func(c *tableCell, in bool)
	sized  func(height float32) // told the height the cell is laid out at; may be nil
}

func newTableCell(hover func(*tableCell, bool), sized func(float32)) *tableCell {
	c := &tableCell{bg: canvas.NewRectangle(color.Transparent), sep: newSeparators(), hover: hover, sized: sized}
	c.shown = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.shown.TextSize = theme.TextSize()
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer draws the background under the text.
func (c *tableCell) CreateRenderer() fyne.WidgetRenderer { return &cellRenderer{c: c} }

// set shows text, on the selection colour when selected; it touches only
// what changed, as the table refreshes every second.
func (c *tableCell) set(text string, selected bool) {
	fill := color.Color(color.Transparent)
	if selected {
		fill = theme.Color(theme.ColorNameSelection)
	}
	if c.bg.FillColor != fill {
		c.bg.FillColor = fill
		c.bg.Refresh()
	}
	if c.full != text {
		c.full = text
		c.fit(c.Size().Width)
	}
}

// fit shows as much of the text as fits in width, ending in "…" when cut.
func (c *tableCell) fit(width float32) {
	c.fitFor = width
	text := c.full
	if avail := width - 2*cellPadX; c.measure(text) > avail && avail > 0 {
		runes := []rune(text)
		// The longest prefix that fits with the ellipsis.
		lo, hi := 0, len(runes)
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if c.measure(string(runes[:mid])+"…") <= avail {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		text = string(runes[:lo]) + "…"
	}
	if c.shown.Text != text {
		c.shown.Text = text
		c.shown.Refresh()
	}
}

// measure is the width of text in the cell's font.
func (c *tableCell) measure(text string) float32 {
	return fyne.MeasureText(text, c.shown.TextSize, c.shown.TextStyle).Width
}

// selected reports whether the cell has the selection's background.
func (c *tableCell) selected() bool { return c.bg.FillColor != color.Transparent }

// truncated reports whether the text is cut to fit the cell.
func (c *tableCell) truncated() bool { return c.shown.Text != c.full }

// cellRenderer lays out a tableCell.
type cellRenderer struct{ c *tableCell }

func (r *cellRenderer) Layout(size fyne.Size) {
	r.c.bg.Resize(size)
	r.c.sep.layout(size, true)
	if r.c.sized != nil {
		r.c.sized(size.Height)
	}
	if size.Width != r.c.fitFor {
		r.c.fit(size.Width)
	}
	h := r.c.shown.MinSize().Height
	r.c.shown.Move(fyne.NewPos(cellPadX, (size.Height-h)/2))
	r.c.shown.Resize(fyne.NewSize(size.Width-2*cellPadX, h))
}

func (r *cellRenderer) MinSize() fyne.Size {
	h := fyne.MeasureText("Ag", r.c.shown.TextSize, r.c.shown.TextStyle).Height
	return fyne.NewSize(2*cellPadX+r.c.measure("…"), h+2*cellPadY)
}

func (r *cellRenderer) Refresh() {
	if fg := theme.Color(theme.ColorNameForeground); r.c.shown.Color != fg {
		r.c.shown.Color = fg
	}
	r.c.bg.Refresh()
	r.c.shown.Refresh()
	r.c.sep.refresh()
}

func (r *cellRenderer) Objects() []fyne.CanvasObject {
	// The grid under the cells draws the lines; a selected cell's
	// background would cover their edge pixels, so it draws its own on top.
	if r.c.selected() {
		return []fyne.CanvasObject{r.c.bg, r.c.shown, r.c.sep.right, r.c.sep.below}
	}
	return []fyne.CanvasObject{r.c.bg, r.c.shown}
}

func (r *cellRenderer) Destroy() {}

// MouseIn shows the full text when it does not fit.
func (c *tableCell) MouseIn(*desktop.MouseEvent) { c.hover(c, true) }

// MouseMoved does nothing: the tip stays while the pointer is on the cell.
func (c *tableCell) MouseMoved(*desktop.MouseEvent) {}

// MouseOut hides the full text.
func (c *tableCell) MouseOut() { c.hover(c, false) }

// cellTip is the full text of a hovered cell, drawn just under it above the
// table. It takes no events, so the table under it keeps working.
type cellTip struct {
	layer *fyne.Container // covers the table, lays nothing out
	box   *fyne.Container
	text  *widget.Label
	under fyne.CanvasObject // what positions are relative to
	shown *tableCell
}

func newCellTip() *cellTip {
	t := &cellTip{text: widget.NewLabel("")}
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	bg.StrokeWidth = 1
	t.box = container.NewStack(bg, t.text)
	t.box.Hide()
	t.layer = container.NewWithoutLayout(t.box)
	return t
}

// hover shows or hides the tip for cell c.
func (t *cellTip) hover(c *tableCell, in bool) {
	if !in || !c.truncated() {
		if t.shown == c || in {
			t.shown = nil
			t.box.Hide()
		}
		return
	}
	d := fyne.CurrentApp().Driver()
	pos := d.AbsolutePositionForObject(c).Subtract(d.AbsolutePositionForObject(t.under))
	t.text.SetText(c.full)
	size := t.box.MinSize()
	// Under the cell, kept inside the table.
	pos.Y += c.Size().Height
	if pos.Y+size.Height > t.layer.Size().Height {
		pos.Y -= c.Size().Height + size.Height
	}
	pos.X = max(0, min(pos.X, t.layer.Size().Width-size.Width))
	t.box.Resize(size)
	t.box.Move(pos)
	t.box.Show()
	t.shown = c
}

// compactTheme is the app's theme with less padding, for table rows about
// 26 px high instead of 37 (about 30 rows at 1440x900, not 18).
type compactTheme struct{ base fyne.Theme }

// Color is the app theme's.
func (c compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return c.base.Color(n, v)
}

// Font is the app theme's.
func (c compactTheme) Font(s fyne.TextStyle) fyne.Resource { return c.base.Font(s) }

// Icon is the app theme's.
func (c compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return c.base.Icon(n) }

// Size is the app theme's with tighter padding.
func (c compactTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 4
	case theme.SizeNamePadding:
		return cellGap
	}
	return c.base.Size(n)
}

// headerCell is a column's title with its sort mark; tapping it sorts. It
// is as compact as the cells (a Button would set every row's height).
type headerCell struct {
	widget.BaseWidget
	title  *canvas.Text
	mark   *canvas.Image
	sep    separators
	onTap  func()
	onMenu func() *fyne.Menu // the Columns menu, on a right click; may be nil
	// grip resizes the column on a drag from the header's right edge; nil
	// for none. Table's own resizing never gets the drag: the scroller
	// holding the headers takes it.
	grip   *columnGrip
	col    int     // the column shown, for grip
	hoverX float32 // where the pointer is over the header; -1 when away
}

// resizeGrip is how near a header's right edge a drag resizes its column.
const resizeGrip = 8

// columnGrip is a column being resized, shared by a table's headers: the
// header that took the press may be recycled for another column while the
// drag goes on, so the state lives here, not in the header.
type columnGrip struct {
	col            int // -1 when none is
	startX, startW float32
	width          float32 // the width given so far
	resized        bool    // a resize just ended: the tap that follows does not sort
	set            func(col int, width float32)
	done           func(col int, width float32) // the width a resize ended with, when it changed
}

// start begins resizing column col, w wide, from the pointer at x.
func (g *columnGrip) start(col int, x, w float32) {
	g.col, g.startX, g.startW, g.width = col, x, w, w
}

// drag gives the column the width the pointer at x makes, held between
// minColumnWidth and maxColumnWidth.
func (g *columnGrip) drag(x float32) {
	if g.col < 0 {
		return
	}
	w := min(max(g.startW+x-g.startX, minColumnWidth), maxColumnWidth)
	if w != g.width {
		g.width = w
		g.set(g.col, w)
	}
}

// end ends a resize, if one is under way, keeping the width.
func (g *columnGrip) end() {
	if g.col < 0 {
		return
	}
	col := g.col
	g.col, g.resized = -1, true
	if g.width != g.startW {
		g.done(col, g.width)
	}
}

func newHeaderCell() *headerCell {
	h := &headerCell{hoverX: -1, sep: newSeparators(), title: canvas.NewText("", theme.Color(theme.ColorNameForeground)), mark: canvas.NewImageFromResource(nil)}
	h.title.TextStyle.Bold = true
	h.title.TextSize = theme.TextSize()
	h.mark.FillMode = canvas.ImageFillContain
	h.ExtendBaseWidget(h)
	return h
}

// set shows title and the sort mark icon (nil for none).
func (h *headerCell) set(title string, mark fyne.Resource) {
	if h.title.Text == title && h.mark.Resource == mark {
		return
	}
	h.title.Text = title
	h.mark.Resource = mark
	h.Refresh()
}

// Tapped sorts by this column, unless it ended a resize.
func (h *headerCell) Tapped(*fyne.PointEvent) {
	if h.grip != nil && h.grip.resized {
		h.grip.resized = false
		return
	}
	if h.onTap != nil {
		h.onTap()
	}
}

// TappedSecondary shows the Columns menu, to hide or show columns.
func (h *headerCell) TappedSecondary(e *fyne.PointEvent) {
	if h.onMenu == nil {
		return
	}
	if c := fyne.CurrentApp().Driver().CanvasForObject(h); c != nil {
		widget.ShowPopUpMenuAtPosition(h.onMenu(), c, e.AbsolutePosition)
	}
}

// Cursor is a pointer (the title is a button), or a resize arrow at the
// right edge.
func (h *headerCell) Cursor() desktop.Cursor {
	if h.grip != nil && (h.grip.col >= 0 || h.hoverX >= h.Size().Width-resizeGrip) {
		return desktop.HResizeCursor
	}
	return desktop.PointerCursor
}

// MouseIn follows the pointer for the cursor.
func (h *headerCell) MouseIn(e *desktop.MouseEvent) { h.hoverX = e.Position.X }

// MouseMoved follows the pointer for the cursor.
func (h *headerCell) MouseMoved(e *desktop.MouseEvent) { h.hoverX = e.Position.X }

// MouseOut forgets the pointer.
func (h *headerCell) MouseOut() { h.hoverX = -1 }

// MouseDown starts a resize at the right edge.
func (h *headerCell) MouseDown(e *desktop.MouseEvent) {
	if h.grip == nil {
		return
	}
	h.grip.resized = false
	if e.Button == desktop.MouseButtonPrimary && e.Position.X >= h.Size().Width-resizeGrip {
		h.grip.start(h.col, e.AbsolutePosition.X, h.Size().Width)
	}
}

// Dragged resizes the column while a drag from its edge goes on. The
// header takes the drag itself: otherwise the scroller holding the headers
// (or Table's own resizing, which never gets it) would.
func (h *headerCell) Dragged(e *fyne.DragEvent) {
	if h.grip != nil {
		h.grip.drag(e.AbsolutePosition.X)
	}
}

// DragEnd ends a resize, wherever the pointer was released.
func (h *headerCell) DragEnd() {
	if h.grip != nil {
		h.grip.end()
	}
}

// MouseUp ends a resize (a press on the edge released without a drag).
func (h *headerCell) MouseUp(*desktop.MouseEvent) {
	if h.grip != nil {
		h.grip.end()
	}
}

// CreateRenderer lays the title out with the mark after it.
func (h *headerCell) CreateRenderer() fyne.WidgetRenderer { return &headerRenderer{h: h} }

// headerRenderer lays out a headerCell.
type headerRenderer struct{ h *headerCell }

func (r *headerRenderer) Layout(size fyne.Size) {
	ts := r.h.title.MinSize()
	y := (size.Height - ts.Height) / 2
	r.h.title.Move(fyne.NewPos(cellPadX, y))
	r.h.title.Resize(ts)
	r.h.mark.Move(fyne.NewPos(cellPadX+ts.Width+2, y))
	r.h.mark.Resize(fyne.NewSquareSize(ts.Height))
	r.h.mark.Hidden = r.h.mark.Resource == nil
	r.h.sep.layout(size, false) // the rows start right under the headers
}

func (r *headerRenderer) MinSize() fyne.Size {
	h := fyne.MeasureText("Ag", r.h.title.TextSize, r.h.title.TextStyle).Height
	return fyne.NewSize(2*cellPadX+r.h.title.MinSize().Width, h+2*cellPadY)
}

func (r *headerRenderer) Refresh() {
	r.h.title.Color = theme.Color(theme.ColorNameForeground)
	r.Layout(r.h.Size())
	r.h.title.Refresh()
	r.h.mark.Refresh()
	r.h.sep.refresh()
}

func (r *headerRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.h.title, r.h.mark, r.h.sep.right, r.h.sep.below}
}

func (r *headerRenderer) Destroy() {}
