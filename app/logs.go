package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/internal/plural"
)

// logLines is how many lines a log window keeps; older ones are dropped,
// and the window says how many.
const logLines = 5000

// logLine is one line of a container's output.
type logLine struct {
	at   time.Time // the engine's time of it; zero when it had none
	text string
}

// splitTimestamp reads the engine's time at the start of a line
// ("2026-11-30T22:00:00.123456789Z text"); a line without one is all text.
func splitTimestamp(line string) logLine {
	head, rest, ok := strings.Cut(line, " ")
	if !ok || len(head) < len("2006-01-02T15:04:05Z") || head[4] != '-' {
		return logLine{text: line}
	}
	at, err := time.Parse(time.RFC3339Nano, head)
	if err != nil {
		return logLine{text: line}
	}
	return logLine{at: at, text: rest}
}

// logBuffer keeps the last max lines and counts those it dropped.
type logBuffer struct {
	lines   []logLine
	dropped int
	max     int
}

// add appends a line, dropping the oldest beyond max.
func (b *logBuffer) add(l logLine) {
	b.lines = append(b.lines, l)
	if over := len(b.lines) - b.max; over > 0 {
		// Drop in blocks of a tenth so appends do not copy every time.
		over = max(over, b.max/10)
		b.lines = append(b.lines[:0], b.lines[over:]...)
		b.dropped += over
	}
}

// logStyle is how the log window shows its lines.
type logStyle struct {
	stamps bool
	wrapAt int // columns; 0 does not wrap
	query  string
}

// logRows lays out lines for a TextGrid: each line after its time when
// stamps, cut into rows of wrapAt columns when wrapping; with a query only
// the lines holding it (case-insensitive), every match highlighted by hl. It returns the rows, how
// many matches there are and the row of the first.
func logRows(lines []logLine, st logStyle, hl widget.TextGridStyle) (rows []widget.TextGridRow, matches, first int) {
	first = -1
	q := []rune(strings.ToLower(st.query))
	for _, l := range lines {
		text := strings.ReplaceAll(strings.TrimRight(l.text, "\r"), "\t", "    ")
		if st.stamps && !l.at.IsZero() {
			text = l.at.Local().Format("2006-01-02 15:04:05.000") + "  " + text
		}
		if !utf8.ValidString(text) {
			text = strings.ToValidUTF8(text, "\uFFFD")
		}
		runes := []rune(text)
		cells := make([]widget.TextGridCell, len(runes))
		for i, r := range runes {
			cells[i].Rune = r
		}
		if len(q) > 0 {
			if !strings.Contains(strings.ToLower(l.text), string(q)) {
				continue // a search shows the lines that match
			}
			lower := []rune(strings.ToLower(text))
			if len(lower) == len(runes) { // case folding kept the length: offsets line up
				for i := 0; i+len(q) <= len(lower); {
					if string(lower[i:i+len(q)]) != string(q) {
						i++
						continue
					}
					for j := i; j < i+len(q); j++ {
						cells[j].Style = hl
					}
					if first < 0 {
						first = len(rows) + i/max(st.wrapAt, len(runes)+1)
					}
					matches++
					i += len(q)
				}
			}
		}
		if st.wrapAt <= 0 || len(cells) <= st.wrapAt {
			rows = append(rows, widget.TextGridRow{Cells: cells})
			continue
		}
		for len(cells) > 0 {
			n := min(st.wrapAt, len(cells))
			rows = append(rows, widget.TextGridRow{Cells: cells[:n]})
			cells = cells[n:]
		}
	}
	return rows, matches, first
}

// logView is a container's output: a bounded buffer fed from a reader,
// shown with or without times, wrapped or not, searched with highlights.
type logView struct {
	root   fyne.CanvasObject
	grid   *widget.TextGrid
	status *widget.Label // what the stream is doing
	notice *widget.Label // matches, dropped lines, or "no output yet"
	search *widget.Entry
	stamps *widget.Check
	wrap   *widget.Check
	copy   *widget.Button

	mu  sync.Mutex
	buf logBuffer
	ui  *handoff[struct{}] // redraws at most once per frame
	// clip is the clipboard, so tests can read what was copied.
	clip func() fyne.Clipboard
}

func newLogView(name string, do func(func())) *logView {
	v := &logView{grid: widget.NewTextGrid(), status: widget.NewLabel("Reading the last 500 lines of " + name + "…"),
		notice: widget.NewLabel("No output yet."), buf: logBuffer{max: logLines},
		clip: func() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }}
	v.ui = &handoff[struct{}]{do: do, apply: func(*struct{}) { v.redraw(true) }}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search")
	v.search.OnChanged = func(string) { v.redraw(false) }
	v.stamps = widget.NewCheck("Times", func(bool) { v.redraw(false) })
	v.wrap = widget.NewCheck("Wrap", func(bool) { v.redraw(false) })
	v.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), v.copyShown)
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.stamps, v.wrap, v.copy), v.search)
	top := container.NewVBox(v.status, bar, v.notice)
	// The grid scrolls itself: it then draws only the visible rows.
	v.root = container.NewBorder(top, nil, nil, nil, v.grid)
	return v
}

// addLine takes one line from the stream; it may run on any goroutine.
func (v *logView) addLine(line string) {
	v.mu.Lock()
	v.buf.add(splitTimestamp(line))
	v.mu.Unlock()
	v.ui.Offer(&struct{}{})
}

// style is the view's settings now; on the UI goroutine.
func (v *logView) style() logStyle {
	st := logStyle{stamps: v.stamps.Checked, query: v.search.Text}
	if v.wrap.Checked {
		cell := fyne.MeasureText("M", theme.TextSize(), fyne.TextStyle{Monospace: true}).Width
		st.wrapAt = max(20, int((v.grid.Size().Width-2*theme.Padding())/cell)-2)
	}
	return st
}

// redraw shows the buffer; follow scrolls to the end (new lines), else
// to the first match. It runs on the UI goroutine.
func (v *logView) redraw(follow bool) {
	v.mu.Lock()
	lines, dropped, kept := v.buf.lines, v.buf.dropped, v.buf.max
	v.mu.Unlock()
	hl := &widget.CustomTextGridStyle{BGColor: theme.Color(theme.ColorNamePrimary), FGColor: theme.Color(theme.ColorNameBackground)}
	st := v.style()
	rows, matches, _ := logRows(lines, st, hl)
	v.grid.Rows = rows
	v.grid.Refresh()
	var notes []string
	switch {
	case len(lines) == 0:
		notes = append(notes, "No output yet.")
	case st.query != "":
		notes = append(notes, plural.Count(matches, "match")+" for “"+st.query+"”; only the lines with one are shown")
	}
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%s dropped: the window keeps the last %d.", plural.Count(dropped, "older line"), kept))
	}
	if text := strings.Join(notes, " · "); v.notice.Text != text {
		v.notice.SetText(text)
	}
	v.notice.Hidden = len(notes) == 0
	if follow && st.query == "" {
		scrollToEnd(v.grid)
	}
}

// scrollToEnd shows a grid's last row. Fyne 2.7's TextGrid dereferences
// its scroller's bars, made only when first drawn, so lines that arrive
// before the window's first frame are not scrolled to; the next ones are.
func scrollToEnd(g *widget.TextGrid) {
	defer func() { _ = recover() }()
	g.ScrollToBottom()
}

// copyShown copies the lines with a match when searching, else every line,
// as shown (with times when they are on).
func (v *logView) copyShown() {
	v.mu.Lock()
	lines := v.buf.lines
	v.mu.Unlock()
	st := v.style()
	q := strings.ToLower(st.query)
	var b strings.Builder
	n := 0
	for _, l := range lines {
		if q != "" && !strings.Contains(strings.ToLower(l.text), q) {
			continue
		}
		if st.stamps && !l.at.IsZero() {
			b.WriteString(l.at.Local().Format("2006-01-02 15:04:05.000") + "  ")
		}
		b.WriteString(l.text + "\n")
		n++
	}
	v.clip().SetContent(b.String())
	v.copy.SetText("Copied " + plural.Count(n, "line"))
}

// logSource reads a container's output with the engine's times.
type logSource interface {
	TimestampedLogs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error)
}

// follow reads r into the view until it ends or ctx does.
func (v *logView) follow(ctx context.Context, src logSource, id, name string) {
	r, err := src.TimestampedLogs(ctx, id, 500, true)
	if err != nil {
		fyne.Do(func() { v.status.SetText("Cannot read the logs: " + err.Error()) })
		return
	}
	defer r.Close()
	fyne.Do(func() { v.status.SetText("Following the output of " + name) })
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		v.addLine(sc.Text())
	}
	if ctx.Err() == nil {
		msg := "The log stream ended (the container stopped?)."
		if err := sc.Err(); err != nil {
			msg = "The log stream broke: " + err.Error()
		}
		fyne.Do(func() { v.status.SetText(msg) })
	}
}

// showLogs opens a window that tails and follows a container's output until
// it is closed.
func showLogs(a fyne.App, j *jobs, src containerEngine, id, name string) {
	w := a.NewWindow("Logs: " + name)
	v := newLogView(name, fyne.Do)
	w.SetContent(v.root)
	w.Resize(fyne.NewSize(800, 500))
	ctx, cancel := context.WithCancel(j.ctx)
	w.SetOnClosed(cancel)
	j.Go(func(context.Context) {
		defer cancel()
		v.follow(ctx, src, id, name)
	})
	w.Show()
}
