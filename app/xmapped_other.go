//go:build !linux || wayland

package app

import "fyne.io/fyne/v2"

// xMapped is the X map state where there is no X11 to ask: the window
// counts as on screen unless hidden.
type xMapped struct{}

func newXMapped() *xMapped                   { return nil }
func (x *xMapped) viewable(fyne.Window) bool { return true }
func (x *xMapped) close()                    {}
