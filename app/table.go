package app

import (
	"cmp"
	"reflect"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
}

// itemTable is a sortable, filterable table of items of one kind, kept
// selected by key across refreshes, re-sorts and filters. The whole
// selected row is highlighted; arrow keys select and Enter opens.
type itemTable[T any] struct {
	cols     []column[T]
	key      func(*T) string
	all      []T // every item, sorted
	rows     []T // the items the filter lets through, as shown
	sortCol  int
	desc     bool
	filter   filter
	fields   func(*T) []filterField // searchable texts beyond the columns (the host); may be nil
	selected string
	selRow   int              // row of the selected item, -1 when none is shown
	selCol   int              // column the user clicked, kept so reselecting does not scroll sideways
	onSelect func(key string) // "" when the selection is cleared
	onEnter  func()           // Enter on the table; may be nil
	table    *rowTable
	root     fyne.CanvasObject // the table with its hover tip above it
	tip      *cellTip
}

func newItemTable[T any](cols []column[T], key func(*T) string, onSelect func(string)) *itemTable[T] {
	t := &itemTable[T]{cols: cols, key: key, onSelect: onSelect, selRow: -1}
	t.tip = newCellTip()
	t.table = newRowTable(t.move, func() {
		if t.onEnter != nil {
			t.onEnter()
		}
	})
	t.table.Length = func() (int, int) { return len(t.rows), len(t.cols) }
	// Cells ellipsize what does not fit and show the full text on hover.
	t.table.CreateCell = func() fyne.CanvasObject { return newTableCell(t.tip.hover) }
	t.table.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		// Texts are made for the visible cells only: a 1000-row table
		// shows a few dozen rows.
		if id.Row < len(t.rows) && id.Col < len(t.cols) {
			o.(*tableCell).set(t.cols[id.Col].text(&t.rows[id.Row]), id.Row == t.selRow)
		}
	}
	t.table.ShowHeaderRow = true
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
	}
	t.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < 0 || id.Row >= len(t.rows) {
			return
		}
		t.selCol = id.Col
		if id.Row != t.selRow {
			t.selRow = id.Row
			t.table.Refresh() // the highlight moves to the whole new row
		}
		if k := t.key(&t.rows[id.Row]); k != t.selected {
			t.selected = k
			t.onSelect(k)
		}
	}
	for i, c := range cols {
		t.table.SetColumnWidth(i, c.width)
	}
	t.root = container.NewStack(container.NewThemeOverride(t.table, compactTheme{fyne.CurrentApp().Settings().Theme()}), t.tip.layer)
	t.tip.under = t.root
	return t
}

// move selects the row delta rows away from the selected one (the first
// or last when nothing is selected), stopping at either end.
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
	t.table.Select(widget.TableCellID{Row: row, Col: t.selCol})
}

// setFilter shows only the items f lets through; the selection stays
// when its item is still shown and is kept in view.
func (t *itemTable[T]) setFilter(f filter) {
	t.filter = f
	t.show()
	t.table.Refresh()
	t.keepInView()
}

// keepInView scrolls the selected row into view, after an action or a
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
			for _, c := range t.cols {
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

// setColumns lays the table out anew, keeping the sort on the same column
// title; the caller sets the rows again.
func (t *itemTable[T]) setColumns(cols []column[T]) {
	title := t.cols[t.sortCol].title
	t.cols, t.sortCol = cols, 0
	for i, c := range cols {
		if c.title == title {
			t.sortCol = i
		}
		t.table.SetColumnWidth(i, c.width)
	}
	t.rows = nil // the next set draws every row again
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
// same key; it reports whether the rows shown differ. It sorts items in
// place and keeps them: callers hand over a slice of their own (rowsOf
// builds one per refresh). The caller refreshes the table widget when they
// changed.
func (t *itemTable[T]) set(items []T) (changed bool) {
	sortItems(items, t.cols[t.sortCol], t.desc)
	t.all = items
	return t.show()
}

// reselect moves the table's selection to wherever the selected key sits
// now, or clears it when the item is gone or filtered out.
func (t *itemTable[T]) reselect() {
	if t.selected == "" {
		t.selRow = -1
		return
	}
	for i := range t.rows {
		if t.key(&t.rows[i]) == t.selected {
			if i != t.selRow {
				// OnSelected moves the highlight; Select skips it when the
				// table's cell is this one already.
				t.table.Select(widget.TableCellID{Row: i, Col: t.selCol})
				t.selRow = i
			}
			return
		}
	}
	t.selected, t.selRow = "", -1
	t.table.UnselectAll()
	t.onSelect("")
}

// selectedItem returns the selected item as of the last refresh.
func (t *itemTable[T]) selectedItem() (*T, bool) {
	if t.selected == "" {
		return nil, false
	}
	for i := range t.rows {
		if t.key(&t.rows[i]) == t.selected {
			return &t.rows[i], true
		}
	}
	return nil, false
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

// selectKey selects the item with key k, if it is listed.
func (t *itemTable[T]) selectKey(k string) {
	for i := range t.rows {
		if t.key(&t.rows[i]) == k {
			t.table.Select(widget.TableCellID{Row: i, Col: t.selCol})
			return
		}
	}
}
