// Package doctor finds out why something Horcrux should show is missing and
// says how to fix it: each check gives a status, what was found, and the
// exact command or setting that fixes it. `horcrux doctor` prints the results
// and the Diagnostics view shows them.
//
// Checks, in the order Run returns them: the /proc files the Host view
// reads; the cgroup layout; libvirt.so.0 and its version; each URI the
// app's libvirt hosts try (vm.CandidateURIs); each container engine, reached
// as the container list reaches it (container.ServerVersion, ssh://
// included); DISPLAY/WAYLAND_DISPLAY; the D-Bus session bus; a browser
// launcher for the VM console; then, for every running VM on a URI that
// answered, whether its VNC display answers with an RFB banner.
//
// Statuses follow one rule, so the exit code means something:
//
//   - ok: the thing works as Horcrux needs it.
//   - warning: a feature is off but nothing is broken, and the app says so
//     itself: an optional component that is not installed (libvirt, Docker,
//     a browser launcher, a D-Bus session bus), a VM whose graphics the
//     console cannot show, or the qemu:///session fallback failing while it
//     is only a fallback.
//   - failed: something is installed or asked for but does not work:
//     a daemon that is not running, a socket the user may not open, a VNC
//     port that does not answer, no display for the window, /proc unreadable.
//     A component the user named explicitly (in Config.URIs or
//     LIBVIRT_DEFAULT_URI, Config.DockerHosts or DOCKER_HOST) is needed, so
//     its absence is failed too.
//
// Run never panics and never hangs: every check is bounded by
// Config.Timeout, and a libvirt call that does not return in time is left
// to finish on its own goroutine, which then closes what it opened.
package doctor
