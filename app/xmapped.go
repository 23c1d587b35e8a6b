//go:build linux && !wayland

package app

// #cgo LDFLAGS: -lX11
// #include <stdlib.h>
// #include <X11/Xlib.h>
//
// static int hx_ignore(Display *d, XErrorEvent *e) { return 0; }
//
// // hx_viewable is 1 when window w is mapped and so are its ancestors (not
// // minimised, not withdrawn), 0 when not, -1 when it cannot be told.
// static int hx_viewable(Display *d, unsigned long w) {
// 	XWindowAttributes a;
// 	XErrorHandler old = XSetErrorHandler(hx_ignore);
// 	Status ok = XGetWindowAttributes(d, (Window)w, &a);
// 	XSetErrorHandler(old);
// 	if (!ok) return -1;
// 	return a.map_state == IsViewable;
// }
import "C"

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// xMapped tells whether a window is on screen from its X map state: Fyne
// has no call for it, and paints a minimised window as a shown one. It
// holds its own connection to the X server; use it from one goroutine.
type xMapped struct {
	dpy *C.Display
}

// newXMapped connects to $DISPLAY; nil when there is no X server to ask
// (Wayland): the window then counts as on screen unless hidden.
func newXMapped() *xMapped {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil
	}
	return &xMapped{dpy: d}
}

// viewable reports whether win is mapped and not minimised; true when
// that cannot be told, so a doubt never leaves the window stale.
func (x *xMapped) viewable(win fyne.Window) bool {
	if x == nil || x.dpy == nil {
		return true
	}
	nw, ok := win.(driver.NativeWindow)
	if !ok {
		return true
	}
	var id uintptr
	nw.RunNative(func(c any) {
		if xc, ok := c.(driver.X11WindowContext); ok {
			id = xc.WindowHandle
		}
	})
	if id == 0 {
		return true
	}
	return C.hx_viewable(x.dpy, C.ulong(id)) != 0
}

// close ends the connection.
func (x *xMapped) close() {
	if x != nil && x.dpy != nil {
		C.XCloseDisplay(x.dpy)
		x.dpy = nil
	}
}
