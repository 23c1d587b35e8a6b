package app

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// tableLayout is how the user laid a table out: the columns shown or
// hidden by hand and the widths set by dragging a header's edge, by
// column title. It is a value: the with methods return a changed copy.
type tableLayout struct {
	visible map[string]bool // a column not listed is shown unless optional
	widths  map[string]float32
}

// Column widths kept from the preferences: narrower than a letter or wider
// than any screen is a damaged file.
const minColumnWidth, maxColumnWidth = 20, 4000

// hides reports whether the column titled title is hidden.
func (l tableLayout) hides(title string, optional bool) bool {
	if v, ok := l.visible[title]; ok {
		return !v
	}
	return optional
}

// withShown is l with the column titled title shown or hidden.
func (l tableLayout) withShown(title string, show bool) tableLayout {
	l.visible = maps.Clone(l.visible)
	if l.visible == nil {
		l.visible = map[string]bool{}
	}
	l.visible[title] = show
	return l
}

// withWidth is l with the column titled title w wide.
func (l tableLayout) withWidth(title string, w float32) tableLayout {
	l.widths = maps.Clone(l.widths)
	if l.widths == nil {
		l.widths = map[string]float32{}
	}
	l.widths[title] = min(max(w, minColumnWidth), maxColumnWidth)
	return l
}

// format is l as two preference strings: "+Ports,-Image" (shown and hidden
// by hand) and "Name=170,Status=220". Titles hold no commas or equals signs.
func (l tableLayout) format() (columns, widths string) {
	var cs, ws []string
	for _, t := range slices.Sorted(maps.Keys(l.visible)) {
		sign := "-"
		if l.visible[t] {
			sign = "+"
		}
		cs = append(cs, sign+t)
	}
	for _, t := range slices.Sorted(maps.Keys(l.widths)) {
		ws = append(ws, t+"="+strconv.FormatFloat(float64(l.widths[t]), 'f', -1, 32))
	}
	return strings.Join(cs, ","), strings.Join(ws, ",")
}

// parseTableLayout reads what format wrote. The preferences file is
// outside input: a part it cannot read is left out (that column is as by
// default), and a width is held between minColumnWidth and maxColumnWidth.
func parseTableLayout(columns, widths string) tableLayout {
	var l tableLayout
	for _, p := range strings.Split(columns, ",") {
		if len(p) < 2 || (p[0] != '+' && p[0] != '-') || strings.ContainsAny(p[1:], ",=") {
			continue
		}
		l = l.withShown(p[1:], p[0] == '+')
	}
	for _, p := range strings.Split(widths, ",") {
		title, num, ok := strings.Cut(p, "=")
		if !ok || title == "" || strings.Contains(num, "=") {
			continue
		}
		w, err := strconv.ParseFloat(num, 32)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
			continue
		}
		l = l.withWidth(title, float32(w))
	}
	return l
}

// Preference keys of a table's layout, after "table." and its name.
const (
	prefColumnsSuffix = ".columns"
	prefWidthsSuffix  = ".widths"
)

// loadTableLayout reads table name's layout from p.
func loadTableLayout(p fyne.Preferences, name string) tableLayout {
	return parseTableLayout(p.String("table."+name+prefColumnsSuffix), p.String("table."+name+prefWidthsSuffix))
}

// saveTableLayout writes table name's layout to p.
func saveTableLayout(p fyne.Preferences, name string, l tableLayout) {
	cs, ws := l.format()
	p.SetString("table."+name+prefColumnsSuffix, cs)
	p.SetString("table."+name+prefWidthsSuffix, ws)
}
