//go:build wayland

package doctor

// waylandBuild is true when Fyne draws through Wayland (built with -tags wayland).
const waylandBuild = true
