//go:build !wayland

package doctor

// waylandBuild is false: Fyne's default Linux build draws through X11 only.
const waylandBuild = false
