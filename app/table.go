package app

import (
	"cmp"
	"reflect"
	"slices"

	"fyne.io/fyne/v2"
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

// itemTable is a sortable table of items of one kind, kept selected by key
// across refreshes and re-sorts.
type itemTable[T any] struct {
	cols     []column[T]
	key      func(*T) string
	rows     []T
	sortCol  int
	desc     bool
	selected string
	selCol   int              // column the user clicked, kept so reselecting does not scroll sideways
	onSelect func(key string) // "" when the selection is cleared
	table    *widget.Table
}

func newItemTable[T any](cols []column[T], key func(*T) string, onSelect func(string)) *itemTable[T] {
	t := &itemTable[T]{cols: cols, key: key, onSelect: onSelect}
	t.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(t.rows), len(t.cols) },
		// Cells are not truncated with an ellipsis: that shapes every text
		// again on each refresh, 90 % of a 1000-row refresh. The cell clips.
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			// Texts are made for the visible cells only: a 1000-row table
			// shows a few dozen rows.
			if id.Row < len(t.rows) && id.Col < len(t.cols) {
				if l, text := o.(*widget.Label), t.cols[id.Col].text(&t.rows[id.Row]); l.Text != text {
					l.SetText(text)
				}
			}
		},
	)
	t.table.ShowHeaderColumn = false
	t.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		b.IconPlacement = widget.ButtonIconTrailingText
		return b
	}
	t.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= len(t.cols) {
			b.SetText("")
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
		// Headers are refreshed with the table every second: only touch a
		// button whose text or sort mark really changed.
		if title := t.cols[id.Col].title; b.Text != title || b.Icon != icon {
			b.Icon = icon
			b.SetText(title)
		}
		col := id.Col
		b.OnTapped = func() { t.sortBy(col) }
	}
	t.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < 0 || id.Row >= len(t.rows) {
			return
		}
		t.selCol = id.Col
		if k := t.key(&t.rows[id.Row]); k != t.selected {
			t.selected = k
			t.onSelect(k)
		}
	}
	for i, c := range cols {
		t.table.SetColumnWidth(i, c.width)
	}
	return t
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
	t.set(t.rows)
	t.table.Refresh()
}

// set shows items, sorted, and keeps the selection on the same key; it
// reports whether they differ from the rows shown. It sorts items in place
// and keeps them: callers hand over a slice of their own (rowsOf builds one
// per refresh). The caller refreshes the table widget when they changed.
func (t *itemTable[T]) set(items []T) (changed bool) {
	sortItems(items, t.cols[t.sortCol], t.desc)
	// A refresh repaints the whole window (in software under Xvfb): skip it
	// when the rows are what the table shows already.
	changed = !reflect.DeepEqual(t.rows, items)
	t.rows = items
	t.reselect()
	return changed
}

// reselect moves the table's selection to wherever the selected key sits
// now, or clears it when the item is gone.
func (t *itemTable[T]) reselect() {
	if t.selected == "" {
		return
	}
	for i := range t.rows {
		if t.key(&t.rows[i]) == t.selected {
			t.table.Select(widget.TableCellID{Row: i, Col: t.selCol})
			return
		}
	}
	t.selected = ""
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
