package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestSplitTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 30, 22, 0, 0, 123456789, time.UTC)
	tests := []struct {
		line string
		want logLine
	}{
		{"2026-11-30T22:00:00.123456789Z hello world", logLine{at: at, text: "hello world"}},
		{"2026-11-30T22:00:00.123456789Z ", logLine{at: at, text: ""}},
		{"hello world", logLine{text: "hello world"}},
		{"2026-13-45T99:00:00Z not a time", logLine{text: "2026-13-45T99:00:00Z not a time"}},
		{"", logLine{text: ""}},
		{"nospace", logLine{text: "nospace"}},
	}
	for _, tt := range tests {
		if got := splitTimestamp(tt.line); !got.at.Equal(tt.want.at) || got.text != tt.want.text {
			t.Errorf("splitTimestamp(%q) = %v %q, want %v %q", tt.line, got.at, got.text, tt.want.at, tt.want.text)
		}
	}
}

// FuzzSplitTimestamp: a line is never lost: without a time it is all
// text, with one the text is what follows it.
func FuzzSplitTimestamp(f *testing.F) {
	f.Add("2026-11-30T22:00:00.123456789Z hello")
	f.Add("2026-11-30T22:00:00+01:00 x")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, line string) {
		l := splitTimestamp(line)
		if l.at.IsZero() && l.text != line || !l.at.IsZero() && !strings.HasSuffix(line, " "+l.text) {
			t.Fatalf("%q read as %v %q", line, l.at, l.text)
		}
		rows, _, _ := logRows([]logLine{l}, logStyle{stamps: true, wrapAt: 7, query: l.text}, nil)
		if len(rows) == 0 {
			t.Fatalf("%q: no row", line)
		}
	})
}

func TestLogBufferBounded(t *testing.T) {
	b := logBuffer{max: 100}
	for i := range 250 {
		b.add(logLine{text: fmt.Sprint(i)})
	}
	if len(b.lines) > 100 || b.dropped+len(b.lines) != 250 || b.lines[len(b.lines)-1].text != "249" {
		t.Fatalf("%d kept, %d dropped, last %q", len(b.lines), b.dropped, b.lines[len(b.lines)-1].text)
	}
}

func TestLogRows(t *testing.T) {
	hl := &widget.CustomTextGridStyle{}
	at := time.Date(2026, 11, 30, 22, 0, 0, 0, time.Local)
	lines := []logLine{{at: at, text: "GET /health 200"}, {text: "error: disk full, ERROR again"}}
	text := func(r widget.TextGridRow) string {
		var b strings.Builder
		for _, c := range r.Cells {
			b.WriteRune(c.Rune)
		}
		return b.String()
	}
	rows, n, first := logRows(lines, logStyle{stamps: true, query: "error"}, hl)
	if len(rows) != 1 || text(rows[0]) != "error: disk full, ERROR again" || n != 2 || first != 0 {
		t.Fatalf("search shows %d rows, %d matches, first %d", len(rows), n, first)
	}
	lit := 0
	for _, c := range rows[0].Cells {
		if c.Style == hl {
			lit++
		}
	}
	if lit != 10 {
		t.Errorf("%d cells highlighted, want the 10 of two matches", lit)
	}
	rows, _, _ = logRows(lines, logStyle{stamps: true}, hl)
	if len(rows) != 2 || text(rows[0]) != "2026-11-30 22:00:00.000  GET /health 200" {
		t.Fatalf("with times: %d rows, first %q", len(rows), text(rows[0]))
	}
	rows, _, _ = logRows(lines, logStyle{wrapAt: 10}, hl)
	if len(rows) != 5 || text(rows[0]) != "GET /healt" || text(rows[4]) != "ROR again" {
		t.Errorf("wrapped at 10: %d rows", len(rows))
	}
}

// scriptedLogs serves lines with times, then ends.
type scriptedLogs struct{ text string }

func (s scriptedLogs) TimestampedLogs(context.Context, string, int, bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(s.text)), nil
}

func TestLogView(t *testing.T) {
	a := test.NewTempApp(t)
	// Redraws wait for the UI, as fyne.Do does: lines arriving meanwhile
	// are drawn together.
	var queued []func()
	v := newLogView("web", func(f func()) { queued = append(queued, f) })
	w := test.NewTempWindow(t, v.root)
	w.Resize(fyne.NewSize(800, 500))
	if !v.notice.Visible() || v.notice.Text != "No output yet." {
		t.Fatalf("empty: notice %q", v.notice.Text)
	}
	v.buf.max = 300 // as logLines, smaller: a redraw costs a frame per 1000 lines under -race
	var script strings.Builder
	for i := range 310 {
		fmt.Fprintf(&script, "2026-11-30T22:00:%02d.000000000Z line %d\n", i%60, i)
	}
	script.WriteString("2026-11-30T22:01:00.000000000Z panic: boom\n")
	v.follow(context.Background(), scriptedLogs{script.String()}, "id", "web")
	if len(queued) != 1 {
		t.Fatalf("%d redraws queued for one batch of lines, want 1", len(queued))
	}
	queued[0]()
	if !strings.Contains(v.notice.Text, "older lines dropped: the window keeps the last 300") {
		t.Errorf("overflow: notice %q", v.notice.Text)
	}
	if got := v.grid.RowText(len(v.grid.Rows) - 1); got != "panic: boom" {
		t.Errorf("last row %q", got)
	}
	test.Tap(v.stamps)
	if got := v.grid.RowText(len(v.grid.Rows) - 1); !strings.HasSuffix(got, ":01:00.000  panic: boom") {
		t.Errorf("with times: last row %q", got)
	}
	test.Type(v.search, "BOOM")
	if !strings.HasPrefix(v.notice.Text, "1 match for “BOOM”") {
		t.Errorf("search: notice %q", v.notice.Text)
	}
	test.Tap(v.copy)
	if got := a.Clipboard().Content(); !strings.HasSuffix(got, "  panic: boom\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("copied %q", got)
	}
	if v.copy.Text != "Copied 1 line" {
		t.Errorf("copy button says %q", v.copy.Text)
	}
	long := strings.Repeat("x", 500)
	v.addLine(long)
	queued[1]()
	v.search.SetText("")
	test.Tap(v.wrap)
	if rows := len(v.grid.Rows); rows < len(v.buf.lines)+2 {
		t.Errorf("a 500-character line is not wrapped at 800 px: %d rows for %d lines", rows, len(v.buf.lines))
	}
	if !strings.Contains(v.status.Text, "ended") {
		t.Errorf("status %q after the stream ended", v.status.Text)
	}
}
