package main

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWindowExportsPNG exports the host charts from the real window (Export,
// Charts as PNG…, Enter in the file dialog, which opens in the home folder)
// and reads the file back: the export used to be fully transparent there.
func TestWindowExportsPNG(t *testing.T) {
	windowTest(t)
	bin := buildBinary(t)
	display := startXvfb(t)
	home := t.TempDir()
	_, logs := startApp(t, bin, display, home, "--connect", "test:///default")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	waitForWindow(t, display, logs)
	for deadline := time.Now().Add(30 * time.Second); chartPixels(screenshot(t, display), image.Rect(60, 115, 545, 270)) <= 20; {
		if time.Now().After(deadline) {
			t.Fatalf("no chart line drawn after 30 s; app said:\n%s", logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The window sits at the screen's top left (no window manager); Export
	// is the last button of the row above the charts, its menu under it.
	ids := strings.Fields(string(x(t, ctx, display, "xdotool", "search", "--name", "^Horcrux$")))
	geo := string(x(t, ctx, display, "xdotool", "getwindowgeometry", "--shell", ids[len(ids)-1]))
	width := 0
	for _, l := range strings.Split(geo, "\n") {
		if v, ok := strings.CutPrefix(l, "WIDTH="); ok {
			width, _ = strconv.Atoi(v)
		}
	}
	if width < 600 {
		t.Fatalf("window geometry: %s", geo)
	}
	x(t, ctx, display, "xdotool", "mousemove", strconv.Itoa(width-47), "93", "click", "1")
	time.Sleep(500 * time.Millisecond) // the menu opens on the next frame
	x(t, ctx, display, "xdotool", "mousemove", strconv.Itoa(width-63), "167", "click", "1")
	time.Sleep(500 * time.Millisecond) // the file dialog, its name typed and focused
	x(t, ctx, display, "xdotool", "key", "Return")

	var path string
	for deadline := time.Now().Add(20 * time.Second); path == ""; time.Sleep(100 * time.Millisecond) {
		found, _ := filepath.Glob(filepath.Join(home, "horcrux-host-*.png"))
		if len(found) > 0 {
			path = found[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("no PNG saved in %s; app said:\n%s", home, logs)
		}
	}
	var img image.Image
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		f, err := os.Open(path)
		if err == nil {
			img, err = png.Decode(f)
			f.Close()
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not read back as PNG: %v", path, err)
		}
	}
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	transparent := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
			if a == 0 {
				transparent++
			}
		}
	}
	if b.Dx() < 500 || b.Dy() < 300 {
		t.Fatalf("exported image is %v, smaller than the charts", b)
	}
	if len(seen) < 20 || transparent > 0 {
		t.Fatalf("exported image looks blank: %d colours, %d transparent pixels", len(seen), transparent)
	}
	if n := chartPixels(img, b); n < 20 {
		t.Fatalf("exported image has %d pixels of the CPU line's colour", n)
	}
	if strings.Contains(logs.String(), "Error in Fyne call thread") || strings.Contains(logs.String(), "panic") {
		t.Fatalf("UI thread misuse or panic:\n%s", logs)
	}
}
