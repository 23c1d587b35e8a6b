package app

import (
	"cmp"
	"reflect"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// column is one column of an item table.
type column[T any] struct {
	title string
	width float32
	text  func(*T) string
	// cmp orders two items by this column; nil orders by text.
	cmp func(a, b *T) int
	// optional columns start hidden; the Columns menu shows them.
	optional bool
}

// itemTable is a sortable, filterable table of items of one kind. Several
// rows can be selected (Ctrl or Shift and a click, Shift and the arrows,
// Ctrl+A); one of them, the current row, has the charts and is what Enter
// opens. The selection is kept by key across refreshes, re-sorts and
// filters, and every selected row is highlighted whole. Columns can be
// hidden and resized; layout says how, and is told of every change.
type itemTable[T any] struct {
	allCols  []column[T] // every column, shown or not
	cols     []column[T] // the columns shown
	layout   tableLayout // which are hidden and the widths set by hand
	key      func(*T) string
	all      []T // every item, sorted
	rows     []T // the items the filter lets through, as shown
	sortCol  int // in cols
	desc     bool
	filter   filter
	fields   func(*T) []filterField // searchable texts beyond the columns (the host); may be nil
	selected string                 // the current row's key; "" when none
	marked   map[string]bool        // every selected key, the current one included
	anchor   string                 // where Shift ranges start
	selRow   int                    // row of the current item, -1 when none is shown
	selCol   int                    // column the user clicked, kept so reselecting does not scroll sideways
	pointing bool                   // the table's own selection is being moved, not by the user
	onSelect func(key string)       // the current row changed; "" when cleared
	told     string                 // the current key onSelect was last told
	onMarks  func()                 // the set of selected rows changed; may be nil
	onLayout func(tableLayout)      // columns hidden, shown or resized; may be nil
	onEnter  func()                 // Enter on the table; may be nil
	// mods are the modifier keys held now (Shift, Ctrl): the driver's.
	mods  func() fyne.KeyModifier
	table *rowTable
	root  fyne.CanvasObject // the table with its hover tip above it
	tip   *cellTip
}

func newItemTable[T any](cols []column[T], key func(*T) string, onSelect func(string)) *itemTable[T] {
	t := &itemTable[T]{key: key, onSelect: onSelect, selRow: -1, marked: map[string]bool{}, mods: driverModifiers}
	t.tip = newCellTip()
	t.table = newRowTable(t.move, func() {
		if t.onEnter != nil {
			t.onEnter()
		}
	})
	t.table.selectAll = t.selectAll
	t.table.grip = &columnGrip{col: -1, set: t.table.SetColumnWidth, done: t.resized}
	t.table.Length = func() (int, int) { return len(t.rows), len(t.cols) }
	// Cells ellipsize what does not fit and show the full text on hover.
	t.table.CreateCell = func() fyne.CanvasObject { return newTableCell(t.tip.hover, t.table.cellHeight) }
	t.table.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		// Texts are made for the visible cells only: a 1000-row table
		// shows a few dozen rows.
		if id.Row < len(t.rows) && id.Col < len(t.cols) {
			o.(*tableCell).set(t.cols[id.Col].text(&t.rows[id.Row]), t.isMarked(id.Row))
		}
		// Scrolling to a row (the arrows, a selection) updates the cells
		// but tells no one else: the lines follow here.
		t.table.placeGrid(false)
	}
	t.table.ShowHeaderRow = true
	// The table's grid draws the separators (see rowTable.CreateRenderer).
	t.table.HideSeparators = true
	t.table.CreateHeader = func() fyne.CanvasObject { return newHeaderCell() }
	t.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		h := o.(*headerCell)
		if id.Col < 0 || id.Col >= len(t.cols) {
			h.set("", nil)
			return
		}
		// The sort mark is an icon: the bundled font has no arrow glyphs, and
		// one missing glyph makes Fyne load every system font as fallback.
		var icon fyne.Resource
		if id.Col == t.sortCol {
			icon = theme.MenuDropUpIcon()
			if t.desc {
				icon = theme.MenuDropDownIcon()
			}
		}
		// Headers are refreshed with the table every second: set touches
		// only a header whose text or sort mark really changed.
		h.set(t.cols[id.Col].title, icon)
		col := id.Col
		h.onTap = func() { t.sortBy(col) }
		h.onMenu = t.columnsMenu
		h.grip, h.col = t.table.grip, col
	}
	t.table.OnSelected = func(id widget.TableCellID) {
		if t.pointing {
			return
		}
		// The table forgets its own selection so that a second click on
		// the same cell (Ctrl+click to unselect) is reported too; rows draw
		// the selection themselves.
		t.table.UnselectAll()
		if id.Row < 0 || id.Row >= len(t.rows) {
			return
		}
		t.selCol = id.Col
		t.click(id.Row, t.mods())
	}
	t.root = container.NewStack(container.NewThemeOverride(t.table, compactTheme{fyne.CurrentApp().Settings().Theme()}), t.tip.layer)
	t.tip.under = t.root
	t.setColumns(cols)
	return t
}

// driverModifiers are the modifier keys the window's driver says are held.
func driverModifiers() fyne.KeyModifier {
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()
	}
	return 0
}

// isMarked reports whether row is selected.
func (t *itemTable[T]) isMarked(row int) bool {
	if len(t.marked) <= 1 {
		return row == t.selRow
	}
	return t.marked[t.key(&t.rows[row])]
}

// click selects row as a click with mods does: alone; Ctrl toggles it;
// Shift selects the rows from the anchor to it.
func (t *itemTable[T]) click(row int, mods fyne.KeyModifier) {
	k := t.key(&t.rows[row])
	switch {
	case mods&fyne.KeyModifierShift != 0 && t.rowOf(t.anchor) >= 0:
		t.markRange(t.rowOf(t.anchor), row)
		t.selected = k
	case mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0:
		t.anchor = k
		if !t.marked[k] {
			t.marked[k], t.selected = true, k
		} else if len(t.marked) > 1 {
			delete(t.marked, k)
			if t.selected == k {
				t.selected = t.firstMarked()
			}
		}
	default:
		t.marked = map[string]bool{k: true}
		t.anchor, t.selected = k, k
	}
	t.changed()
}

// markRange selects the rows from a to b, both included, and no others.
func (t *itemTable[T]) markRange(a, b int) {
	if a > b {
		a, b = b, a
	}
	t.marked = make(map[string]bool, b-a+1)
	for i := a; i <= b; i++ {
		t.marked[t.key(&t.rows[i])] = true
	}
}

// firstMarked is the key of the first selected row shown, or "".
func (t *itemTable[T]) firstMarked() string {
	for i := range t.rows {
		if k := t.key(&t.rows[i]); t.marked[k] {
			return k
		}
	}
	return ""
}

// rowOf is the row showing key k, or -1.
func (t *itemTable[T]) rowOf(k string) int {
	if k == "" {
		return -1
	}
	if t.selRow >= 0 && t.selRow < len(t.rows) && t.key(&t.rows[t.selRow]) == k {
		return t.selRow
	}
	for i := range t.rows {
		if t.key(&t.rows[i]) == k {
			return i
		}
	}
	return -1
}

// changed redraws the selection and tells who listens: onSelect when the
// current row changed, onMarks always.
func (t *itemTable[T]) changed() {
	t.selRow = t.rowOf(t.selected)
	t.table.Refresh()
	t.tell()
	if t.onMarks != nil {
		t.onMarks()
	}
}

// tell calls onSelect when the current key is not the one it was last told.
func (t *itemTable[T]) tell() {
	if t.selected != t.told {
		t.told = t.selected
		t.onSelect(t.selected)
	}
}

// point moves the table's own focus (for its keys and scrolling) to row,
// which it also scrolls into view.
func (t *itemTable[T]) point(row int) {
	t.pointing = true
	t.table.Select(widget.TableCellID{Row: row, Col: t.selCol})
	t.table.UnselectAll()
	t.pointing = false
}

// move selects the row delta rows away from the current one (the first
// or last when none is), stopping at either end; with Shift held it
// extends the selection from the anchor instead.
func (t *itemTable[T]) move(delta int) {
	if len(t.rows) == 0 {
		return
	}
	row := t.selRow
	switch {
	case row < 0 && delta > 0:
		row = 0
	case row < 0:
		row = len(t.rows) - 1
	default:
		row = min(max(row+delta, 0), len(t.rows)-1)
	}
	k := t.key(&t.rows[row])
	if a := t.rowOf(t.anchor); t.mods()&fyne.KeyModifierShift != 0 && a >= 0 {
		t.markRange(a, row)
	} else {
		t.marked, t.anchor = map[string]bool{k: true}, k
	}
	t.selected = k
	t.point(row)
	t.changed()
}

// selectAll selects every row shown: Ctrl+A.
func (t *itemTable[T]) selectAll() {
	if len(t.rows) == 0 {
		return
	}
	t.markRange(0, len(t.rows)-1)
	if t.selected == "" {
		t.selected = t.key(&t.rows[0])
	}
	if t.anchor == "" {
		t.anchor = t.selected
	}
	t.changed()
}

// setFilter shows only the items f lets through; the selection keeps the
// items still shown and the current one is kept in view.
func (t *itemTable[T]) setFilter(f filter) {
	t.filter = f
	t.show()
	t.table.Refresh()
	t.keepInView()
}

// keepInView scrolls the current row into view, after an action or a
// re-sort moved it.
func (t *itemTable[T]) keepInView() {
	if t.selRow >= 0 {
		t.table.ScrollTo(widget.TableCellID{Row: t.selRow, Col: t.selCol})
	}
}

// counts is how many items are shown and how many there are.
func (t *itemTable[T]) counts() (shown, total int) { return len(t.rows), len(t.all) }

// show filters the sorted items into the rows and reselects; it reports
// whether the rows differ from those shown before.
func (t *itemTable[T]) show() (changed bool) {
	rows := t.all
	if !t.filter.empty() {
		rows = make([]T, 0, len(t.all))
		var fields []filterField
		for i := range t.all {
			fields = fields[:0]
			// Hidden columns are searched too: "state:running" works
			// whatever is shown.
			for _, c := range t.allCols {
				fields = append(fields, filterField{c.title, c.text(&t.all[i])})
			}
			if t.fields != nil {
				fields = append(fields, t.fields(&t.all[i])...)
			}
			if t.filter.match(fields) {
				rows = append(rows, t.all[i])
			}
		}
	}
	// A refresh repaints the whole window (in software under Xvfb): skip it
	// when the rows are what the table shows already.
	changed = !reflect.DeepEqual(t.rows, rows)
	t.rows = rows
	t.reselect()
	return changed
}

// setColumns lays the table out anew with every column it may show,
// keeping the sort on the same column title; the caller sets the rows
// again.
func (t *itemTable[T]) setColumns(cols []column[T]) {
	t.allCols = cols
	t.applyLayout()
	t.rows = nil // the next set draws every row again
}

// applyLayout shows the columns layout does not hide, at their widths.
func (t *itemTable[T]) applyLayout() {
	title := ""
	if t.sortCol < len(t.cols) {
		title = t.cols[t.sortCol].title
	}
	t.cols = t.cols[:0:0]
	for _, c := range t.allCols {
		if !t.layout.hides(c.title, c.optional) {
			t.cols = append(t.cols, c)
		}
	}
	if len(t.cols) == 0 { // never an empty table: the first column stays
		t.cols = append(t.cols, t.allCols[0])
	}
	t.sortCol = 0
	for i, c := range t.cols {
		if c.title == title {
			t.sortCol = i
		}
		w := c.width
		if set, ok := t.layout.widths[c.title]; ok {
			w = set
		}
		t.table.SetColumnWidth(i, w)
	}
}

// shows reports whether the column titled title is shown.
func (t *itemTable[T]) shows(title string) bool {
	for _, c := range t.cols {
		if c.title == title {
			return true
		}
	}
	return false
}

// setShown shows or hides the column titled title, and says so.
func (t *itemTable[T]) setShown(title string, show bool) {
	t.layout = t.layout.withShown(title, show)
	t.applyLayout()
	t.rows = nil
	t.set(t.all)
	t.table.Refresh()
	t.keepInView()
	if t.onLayout != nil {
		t.onLayout(t.layout)
	}
}

// resized keeps the width a drag on a header's edge gave column col, and
// says so.
func (t *itemTable[T]) resized(col int, w float32) {
	if col < len(t.cols) {
		t.layout = t.layout.withWidth(t.cols[col].title, w)
		if t.onLayout != nil {
			t.onLayout(t.layout)
		}
	}
}

// setWidth sets the width of the column titled title (the Columns menu's
// reset uses it too), and says so.
func (t *itemTable[T]) setWidth(title string, w float32) {
	t.layout = t.layout.withWidth(title, w)
	t.applyLayout()
	t.table.Refresh()
	if t.onLayout != nil {
		t.onLayout(t.layout)
	}
}

// columnsMenu lists every column with a check mark on those shown; picking
// one shows or hides it. The last, Reset widths, undoes every drag.
func (t *itemTable[T]) columnsMenu() *fyne.Menu {
	items := make([]*fyne.MenuItem, 0, len(t.allCols)+2)
	for _, c := range t.allCols {
		title := c.title
		it := fyne.NewMenuItem(title, nil)
		it.Checked = t.shows(title)
		it.Action = func() { t.setShown(title, !t.shows(title)) }
		// The last column shown cannot be hidden: an empty table says nothing.
		it.Disabled = it.Checked && len(t.cols) == 1
		items = append(items, it)
	}
	reset := fyne.NewMenuItem("Reset column widths", func() {
		t.layout.widths = nil
		t.applyLayout()
		t.table.Refresh()
		if t.onLayout != nil {
			t.onLayout(t.layout)
		}
	})
	reset.Disabled = len(t.layout.widths) == 0
	return fyne.NewMenu("Columns", append(items, fyne.NewMenuItemSeparator(), reset)...)
}

// sortBy sorts by column col, flipping the order when it already is.
func (t *itemTable[T]) sortBy(col int) {
	if col == t.sortCol {
		t.desc = !t.desc
	} else {
		t.sortCol, t.desc = col, false
	}
	t.set(t.all)
	t.table.Refresh()
	t.keepInView()
}

// set shows items, sorted and filtered, and keeps the selection on the
// same keys; it reports whether the rows shown differ. It sorts items in
// place and keeps them: callers hand over a slice of their own (rowsOf
// builds one per refresh). The caller refreshes the table widget when they
// changed.
func (t *itemTable[T]) set(items []T) (changed bool) {
	sortItems(items, t.cols[t.sortCol], t.desc)
	t.all = items
	return t.show()
}

// reselect finds the selected keys among the rows shown now: those gone
// or filtered out are no longer selected (an action must never act on an
// unseen row), and the current row moves to wherever its item sits.
func (t *itemTable[T]) reselect() {
	if len(t.marked) == 0 {
		t.selected, t.selRow = "", -1
		return
	}
	found, cur := 0, -1
	for i := range t.rows {
		if k := t.key(&t.rows[i]); t.marked[k] {
			found++
			if k == t.selected {
				cur = i
			}
		}
	}
	if found < len(t.marked) {
		kept := make(map[string]bool, found)
		for i := range t.rows {
			if k := t.key(&t.rows[i]); t.marked[k] {
				kept[k] = true
			}
		}
		t.marked = kept
		defer func() {
			if t.onMarks != nil {
				t.onMarks()
			}
		}()
	}
	if cur < 0 && found > 0 {
		// The current row went: the first selected one still shown is.
		t.selected = t.firstMarked()
		cur = t.rowOf(t.selected)
		t.selRow = cur
		t.point(cur)
		t.tell()
		return
	}
	if cur < 0 {
		t.selected, t.selRow = "", -1
		t.table.UnselectAll()
		t.tell()
		return
	}
	if cur != t.selRow {
		t.selRow = cur
		t.point(cur)
	}
}

// selectedItem returns the current item as of the last refresh.
func (t *itemTable[T]) selectedItem() (*T, bool) {
	if t.selected == "" {
		return nil, false
	}
	if i := t.rowOf(t.selected); i >= 0 {
		return &t.rows[i], true
	}
	return nil, false
}

// markedItems returns every selected item shown, in the rows' order.
func (t *itemTable[T]) markedItems() []*T {
	out := make([]*T, 0, len(t.marked))
	for i := range t.rows {
		if t.marked[t.key(&t.rows[i])] {
			out = append(out, &t.rows[i])
		}
	}
	return out
}

// sortItems orders items by column c, stably, so equal rows keep the
// source's order (by name) and do not jump between refreshes.
func sortItems[T any](items []T, c column[T], desc bool) {
	cmpf := c.cmp
	if cmpf == nil {
		cmpf = func(a, b *T) int { return cmp.Compare(c.text(a), c.text(b)) }
	}
	slices.SortStableFunc(items, func(a, b T) int {
		if desc {
			return cmpf(&b, &a)
		}
		return cmpf(&a, &b)
	})
}

// cmpOpt orders optional figures with unknown ones first.
func cmpOpt[N cmp.Ordered](a, b *N) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

// selectKey selects the item with key k alone, if it is listed.
func (t *itemTable[T]) selectKey(k string) {
	if i := t.rowOf(k); i >= 0 {
		t.marked, t.anchor, t.selected = map[string]bool{k: true}, k, k
		t.point(i)
		t.changed()
	}
}
