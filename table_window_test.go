package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rowPitch is the compact rows' height with the line under them; the
// selection is looked for at nameTextX, inside the Name column right of
// the short names.
const (
	rowPitch  = 27.2
	nameTextX = 200
)

// grid is where the Machines table's rows sit on the screen.
type grid struct{ firstRowY int }

func (g grid) rowY(i int) int { return g.firstRowY + int(float64(i)*rowPitch+0.5) }
func (g grid) headerY() int   { return g.firstRowY - 26 }
func black(img image.Image, x, y int) bool {
	r, gr, b, _ := img.At(x, y).RGBA()
	return r == 0 && gr == 0 && b == 0
}

// findRows finds the Machines table's first rows by the lines under
// them, 27 px apart, with the rows' grey between; nothing else on the
// screen has those (a screen not drawn yet is all black).
func findRows(img image.Image) (grid, bool) {
	for y := 150; y < 400; y++ {
		ok := true
		for i := range 3 {
			line := y + int(float64(i)*rowPitch+0.5)
			for _, x := range []int{nameTextX, nameTextX + 50} {
				ok = ok && black(img, x, line) && !black(img, x, line-12)
			}
		}
		if ok {
			return grid{firstRowY: y - 13}, true
		}
	}
	return grid{}, false
}

// lit reports whether the pixel at x,y has the selection's blue.
func lit(img image.Image, x, y int) bool {
	r, _, b, _ := img.At(x, y).RGBA()
	return b>>8 > 60 && b>>8 > r>>8+30
}

// litRows are the rows of n drawn selected.
func (g grid) litRows(img image.Image, n int) []int {
	var out []int
	for i := range n {
		if lit(img, nameTextX, g.rowY(i)) {
			out = append(out, i)
		}
	}
	return out
}

// nameRightEdge is where the first column's separator line is drawn on
// the first rows, or -1.
func (g grid) nameRightEdge(img image.Image) int {
	for x := 60; x < 700; x++ {
		if black(img, x, g.rowY(0)) && black(img, x, g.rowY(1)) && black(img, x, g.rowY(2)) {
			return x
		}
	}
	return -1
}

// TestWindowTableColumnsAndSelection drives the Machines table of the real
// window: a drag from the Name header's right edge widens the column and
// the width is there after a restart; Ctrl+click, Shift+click, Shift+Down
// and Ctrl+A select rows; the header's right-click menu hides a column.
func TestWindowTableColumnsAndSelection(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	home := t.TempDir()
	var doms strings.Builder
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&doms, "<domain type='test'><name>vm-%d</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>", i)
	}
	// A short path: a long one wraps the status line and moves the table.
	dir, err := os.MkdirTemp("", "hx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	node := filepath.Join(dir, "node.xml")
	if err := os.WriteFile(node, []byte("<node>"+doms.String()+"</node>"), 0o644); err != nil {
		t.Fatal(err)
	}
	prefsFile := filepath.Join(home, ".config", "fyne", "io.github.horcrux-desktop", "preferences.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	xdo := func(args ...string) { x(t, ctx, display, "xdotool", args...) }
	at := func(x, y int) []string { return []string{"mousemove", strconv.Itoa(x), strconv.Itoa(y)} }
	settle := func() { time.Sleep(700 * time.Millisecond) } // the next frames drawn
	// g is where the rows were last seen: the window grows when the charts
	// of a selected VM show, and the status line above the table may then
	// take one line less.
	var g grid
	look := func() image.Image {
		img := screenshot(t, display)
		if found, ok := findRows(img); ok {
			g = found
		}
		return img
	}
	// waitFor polls the screen until ok says so, within 30 s.
	waitFor := func(what string, logs fmt.Stringer, ok func(image.Image) bool) image.Image {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			img := look()
			if ok(img) {
				return img
			}
			if time.Now().After(deadline) {
				saveShot(t, img)
				t.Fatalf("%s: not seen within 30 s; app said:\n%s", what, logs)
			}
		}
	}
	// open starts the app and shows its Machines tab with the rows drawn.
	open := func() (func(), fmt.Stringer) {
		cmd, logs := startApp(t, bin, display, home, "--connect", "test://"+node)
		waitForWindow(t, display, logs)
		// The tab is clicked until it shows: the first click may come
		// before the window takes input.
		waitFor("the Machines rows", logs, func(img image.Image) bool {
			if _, ok := findRows(img); ok {
				return true
			}
			xdo(append(at(97, 54), "click", "1")...)
			return false
		})
		return func() { cmd.Process.Kill(); cmd.Wait() }, logs
	}

	stop, logs := open()
	img := look()
	before := g.nameRightEdge(img)
	if before < 0 {
		saveShot(t, img)
		t.Fatal("no line right of the Name column")
	}
	// A drag from the Name header's right edge, 100 px to the right.
	xdo(append(at(before-3, g.headerY()), "mousedown", "1")...)
	for _, dx := range []int{8, 30, 60, 90, 100} {
		xdo(at(before-3+dx, g.headerY()+4)...)
		time.Sleep(50 * time.Millisecond)
	}
	xdo("mouseup", "1")
	t.Logf("Name ends at x=%d", before)
	img = waitFor("the Name column 100 px wider", logs, func(img image.Image) bool { return g.nameRightEdge(img) == before+100 })
	if rows := g.litRows(img, 6); len(rows) != 0 {
		t.Errorf("the resize selected rows %v", rows)
	}

	// Selection: a click, Ctrl+click, Shift+click, Shift+Down, Ctrl+A.
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"click on the second row", func() { xdo(append(at(nameTextX, g.rowY(1)), "click", "1")...) }, "[1]"},
		{"Ctrl+click on the fourth", func() {
			xdo("keydown", "ctrl")
			xdo(append(at(nameTextX, g.rowY(3)), "click", "1")...)
			xdo("keyup", "ctrl")
		}, "[1 3]"},
		{"Shift+click on the sixth", func() {
			xdo("keydown", "shift")
			xdo(append(at(nameTextX, g.rowY(5)), "click", "1")...)
			xdo("keyup", "shift")
		}, "[3 4 5]"},
		{"click on the first, Shift+Down twice", func() {
			xdo(append(at(nameTextX, g.rowY(0)), "click", "1")...)
			settle()
			xdo("key", "shift+Down", "shift+Down")
		}, "[0 1 2]"},
		{"Ctrl+A", func() { xdo("key", "ctrl+a") }, "[0 1 2 3 4 5]"},
	}
	for _, s := range steps {
		look()
		s.do()
		waitFor(s.name+" selects rows "+s.want, logs, func(img image.Image) bool { return fmt.Sprint(g.litRows(img, 6)) == s.want })
	}

	// Hide State from the header's right-click menu (its second item).
	look()
	xdo(append(at(before+40, g.headerY()), "click", "3")...)
	settle()
	xdo(append(at(before+80, g.headerY()+57), "click", "1")...)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ := os.ReadFile(prefsFile)
		if strings.Contains(string(b), `"table.machines.columns":"-State"`) && strings.Contains(string(b), `"table.machines.widths":"Name=`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("State hidden and the Name width not saved: %s", b)
		}
	}
	if strings.Contains(logs.String(), "Error in Fyne call thread") || strings.Contains(logs.String(), "panic") {
		t.Fatalf("UI thread misuse or panic:\n%s", logs)
	}
	stop()

	// A restart keeps the width.
	stop, logs = open()
	defer stop()
	if got := g.nameRightEdge(look()); got != before+100 {
		t.Errorf("after a restart the Name column ends at x=%d, want %d; app said:\n%s", got, before+100, logs)
	}
}

// saveShot keeps img for a look when a test fails.
func saveShot(t *testing.T, img image.Image) {
	p := filepath.Join(os.TempDir(), strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if f, err := os.Create(p); err == nil {
		png.Encode(f, img)
		f.Close()
		t.Logf("screen saved to %s", p)
	}
}
