package app

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// saveAs asks for a file name and hands the opened file to write; errors
// are shown in the window.
func saveAs(w fyne.Window, name, ext string, write func(io.Writer) error) {
	d := dialog.NewFileSave(func(f fyne.URIWriteCloser, err error) {
		if err == nil && f == nil {
			return // cancelled
		}
		if err == nil {
			err = write(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			dialog.ShowError(fmt.Errorf("export failed: %w", err), w)
		}
	}, w)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	d.Show()
}

// exportName is a file name for an export taken now.
func exportName(ext string) string {
	return "horcrux-host-" + time.Now().Format("20060102-150405") + ext
}

// exportCSV saves the charted window of s as CSV.
func exportCSV(w fyne.Window, s *model.Snapshot) {
	if s == nil || s.Charts == nil {
		dialog.ShowInformation("Export", "No figures yet: wait for the first samples.", w)
		return
	}
	saveAs(w, exportName(".csv"), ".csv", func(out io.Writer) error {
		return collector.WriteCSV(out, s.Charts, s.Host.Time)
	})
}

// exportPNG saves what obj shows, as drawn in the window, as PNG.
func exportPNG(w fyne.Window, obj fyne.CanvasObject) {
	shot := w.Canvas().Capture()
	img, err := crop(shot, w.Canvas().Scale(), fyne.CurrentApp().Driver().AbsolutePositionForObject(obj), obj.Size())
	if err != nil {
		dialog.ShowError(err, w)
		return
	}
	saveAs(w, exportName(".png"), ".png", func(out io.Writer) error { return png.Encode(out, img) })
}

// crop cuts the area of an object (in canvas units) out of a capture (in
// pixels).
func crop(shot image.Image, scale float32, pos fyne.Position, size fyne.Size) (image.Image, error) {
	r := image.Rect(int(pos.X*scale), int(pos.Y*scale), int((pos.X+size.Width)*scale), int((pos.Y+size.Height)*scale))
	r = r.Intersect(shot.Bounds())
	if r.Empty() {
		return nil, errors.New("export failed: the charts are not on screen")
	}
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), shot, r.Min, draw.Src)
	return out, nil
}
