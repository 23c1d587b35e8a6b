package app

import (
	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// screenSize is the primary monitor's size in Fyne units, if it can be
// known. Fyne has no call for it, so it asks GLFW, which Fyne's desktop
// driver brings up in the first NewWindow: call it after that, on the main
// goroutine, as GLFW requires.
func screenSize() (size fyne.Size, known bool) {
	// go-gl/glfw panics on a GLFW that is not up; the size is then unknown.
	defer func() {
		if recover() != nil {
			size, known = fyne.Size{}, false
		}
	}()
	m := glfw.GetPrimaryMonitor()
	if m == nil {
		return fyne.Size{}, false
	}
	mode := m.GetVideoMode()
	if mode == nil || mode.Width <= 0 || mode.Height <= 0 {
		return fyne.Size{}, false
	}
	// A HiDPI monitor's content scale turns pixels into Fyne's units.
	scale, _ := m.GetContentScale()
	scale = max(scale, 1)
	return fyne.NewSize(float32(mode.Width)/scale, float32(mode.Height)/scale), true
}
