package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
	"github.com/pkg/browser"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// saveAs asks for a file name, hands the opened file to write, then says
// where it saved with an Open folder action (open); errors are shown in
// the window.
func saveAs(w fyne.Window, what, name, ext string, write func(io.Writer) error, open func(dir string)) {
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
			dialog.ShowError(fmt.Errorf("export failed: %w; nothing was saved, try another folder", err), w)
			return
		}
		showSaved(w, what, f.URI(), open)
	}, w)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	d.Show()
}

// showSaved says what was saved where; for a local file it offers to open
// the folder holding it.
func showSaved(w fyne.Window, what string, u fyne.URI, open func(dir string)) dialog.Dialog {
	where := u.String()
	if u.Scheme() == "file" {
		where = u.Path()
	}
	text := widget.NewLabel(what + " saved to " + where)
	text.Wrapping = fyne.TextWrapBreak // a path has no spaces to wrap at
	var d dialog.Dialog
	if u.Scheme() == "file" {
		d = dialog.NewCustomConfirm("Exported", "Open folder", "Close", container.NewStack(text), func(ok bool) {
			if ok {
				open(filepath.Dir(u.Path()))
			}
		}, w)
	} else {
		d = dialog.NewCustom("Exported", "Close", container.NewStack(text), w)
	}
	d.Resize(fyne.NewSize(min(520, w.Canvas().Size().Width-40), 0))
	d.Show()
	return d
}

// exportName is a file name for an export taken now.
func exportName(ext string) string {
	return "horcrux-host-" + time.Now().Format("20060102-150405") + ext
}

// exportCSV saves the charted window of s as CSV.
func exportCSV(w fyne.Window, s *model.Snapshot, open func(dir string)) {
	if s == nil || s.Charts == nil {
		dialog.ShowInformation("Export", "No figures yet: wait for the first samples.", w)
		return
	}
	saveAs(w, "Charts (CSV)", exportName(".csv"), ".csv", func(out io.Writer) error {
		return collector.WriteCSV(out, s.Charts, s.Host.Time)
	}, open)
}

// exportPNG saves the host charts as shown, drawn when asked (not when the
// file name is chosen), as PNG.
func exportPNG(w fyne.Window, v *hostView, open func(dir string)) {
	img, err := chartsImage(v.charts(), 2, v.grid.Size(), w.Canvas().Scale())
	if err != nil {
		dialog.ShowError(err, w)
		return
	}
	saveAs(w, "Charts (PNG)", exportName(".png"), ".png", func(out io.Writer) error { return png.Encode(out, img) }, open)
}

// chartsImage draws copies of charts laid out as a grid of cols columns of
// the given size (in canvas units), off screen, at the window's scale. The
// window's own Capture reads the GL front buffer, which some drivers (Mesa
// under Xvfb) return empty: the export was a fully transparent image.
func chartsImage(charts []*widgets.Chart, cols int, size fyne.Size, scale float32) (image.Image, error) {
	if size.Width < 1 || size.Height < 1 || len(charts) == 0 {
		return nil, errors.New("export failed: the charts are not on screen; open the Host tab and try again")
	}
	objs := make([]fyne.CanvasObject, len(charts))
	for i, c := range charts {
		objs[i] = c.Copy()
	}
	c := software.NewCanvas()
	c.SetPadded(false)
	c.SetScale(scale)
	c.SetContent(container.NewGridWithColumns(cols, objs...))
	c.Resize(size)
	return c.Capture(), nil
}

// folderWait bounds how long opening a folder waits for the launcher, which
// may return only when the file manager it started exits.
const folderWait = 5 * time.Second

// showFolder opens dir in the file manager (xdg-open, as consoles open the
// browser), on a job; a failure is shown in the window.
func (w *window) showFolder(dir string) {
	w.jobs.Go(func(ctx context.Context) {
		done := make(chan error, 1) // the launcher's goroutine ends with it, sent or not
		go func() { done <- browser.OpenFile(dir) }()
		t := time.NewTimer(folderWait)
		defer t.Stop()
		select {
		case err := <-done:
			if err != nil {
				fyne.Do(func() {
					dialog.ShowError(fmt.Errorf("no file manager could open %s (install xdg-utils): %w; the file is saved there", dir, err), w.win)
				})
			}
		case <-t.C:
		case <-ctx.Done():
		}
	})
}
