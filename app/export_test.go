package app

import (
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// colours counts the distinct colours of img and the pixels near c.
func colours(img image.Image, c color.NRGBA) (distinct, near int) {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
			if close8(r>>8, c.R) && close8(g>>8, c.G) && close8(bl>>8, c.B) && a>>8 == 0xff {
				near++
			}
		}
	}
	return len(seen), near
}

func close8(a uint32, b uint8) bool { d := int(a) - int(b); return d > -24 && d < 24 }

// TestChartsImageIsWhatTheChartsShow: the export draws the six charts at
// the grid's size and scale, opaque, with the CPU line's colour in it.
func TestChartsImageIsWhatTheChartsShow(t *testing.T) {
	w := testWindow(t)
	w.apply(fakeSnapshot(2, nil))
	size := w.host.grid.Size()
	if size.Width < 100 {
		t.Fatalf("host grid not laid out: %v", size)
	}
	img, err := chartsImage(w.host.charts(), 2, size, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != int(size.Width*2) || b.Dy() != int(size.Height*2) {
		t.Fatalf("image is %v, want the grid %v at scale 2", b, size)
	}
	distinct, line := colours(img, palette[0])
	if distinct < 20 || line < 50 {
		t.Fatalf("export looks blank: %d colours, %d pixels of the CPU line's colour", distinct, line)
	}
	if _, _, _, a := img.At(1, 1).RGBA(); a != 0xffff {
		t.Fatalf("export is transparent at its corner (alpha %d)", a>>8)
	}
	if _, err := chartsImage(w.host.charts(), 2, fyne.NewSize(0, 0), 1); err == nil {
		t.Fatal("charts never laid out were exported")
	}
}

// TestShowSavedOpensTheFolder: the message names the file and Open folder
// opens the folder holding it.
func TestShowSavedOpensTheFolder(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(800, 600))
	path := filepath.Join(t.TempDir(), "charts.png")
	var opened []string
	showSaved(w, "Charts (PNG)", storage.NewFileURI(path), func(dir string) { opened = append(opened, dir) })
	if got := labelTexts(w.Canvas().Overlays().Top()); !strings.Contains(got, "Charts (PNG) saved to "+path) {
		t.Fatalf("the message does not say where the file was saved: %q", got)
	}
	test.Tap(overlayButton(t, w, "Open folder"))
	if len(opened) != 1 || opened[0] != filepath.Dir(path) {
		t.Fatalf("Open folder opened %q, want %q", opened, filepath.Dir(path))
	}
}
