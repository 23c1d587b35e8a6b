package vm

import (
	"errors"
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Problem is what a libvirt failure means for the user.
type Problem int

// The kinds of libvirt failure, by what the user can do about them.
const (
	ProblemOther Problem = iota
	ProblemNotInstalled
	ProblemPermission
	ProblemDaemonDown
	ProblemNoDriver
	ProblemConnLost
)

// notInstalled is shown as is: there is nothing to retry until the user acts.
const notInstalled = "libvirt is not installed: VM list disabled; install libvirt-daemon-system"

// Classify sorts a libvirt error by what the user can do about it.
func Classify(err error) Problem {
	if err == nil {
		return ProblemOther
	}
	var le libvirt.Error
	msg := err.Error()
	if errors.As(err, &le) {
		msg = le.Message
	}
	low := strings.ToLower(msg)
	// The dlopen build says so on the first call (dlerror text) and later ones.
	if strings.Contains(low, "libvirt.so.0") || strings.Contains(low, "libvirt-admin.so.0") {
		return ProblemNotInstalled
	}
	switch le.Code {
	case libvirt.ERR_AUTH_FAILED, libvirt.ERR_AUTH_CANCELLED, libvirt.ERR_AUTH_UNAVAILABLE,
		libvirt.ERR_ACCESS_DENIED, libvirt.ERR_OPERATION_DENIED:
		return ProblemPermission
	case libvirt.ERR_INVALID_CONN:
		return ProblemConnLost
	}
	switch {
	case strings.Contains(low, "permission denied"):
		return ProblemPermission
	case strings.Contains(low, "failed to connect socket"), strings.Contains(low, "connection refused"):
		return ProblemDaemonDown
	case strings.Contains(low, "no connection driver available"):
		return ProblemNoDriver
	case strings.Contains(low, "end of file while reading"), strings.Contains(low, "socket is closed"),
		strings.Contains(low, "broken pipe"), strings.Contains(low, "connection reset"),
		strings.Contains(low, "keepalive timeout"):
		return ProblemConnLost
	}
	return ProblemOther
}

// Message is libvirt's own text of err, without the Go binding's wrapper.
func Message(err error) string {
	var le libvirt.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}

// connectWords explains a failed connection to uri: what failed, what it
// means and what to do, keeping libvirt's text for whoever debugs it.
func connectWords(uri string, err error) string {
	m := Message(err)
	switch Classify(err) {
	case ProblemNotInstalled:
		return notInstalled
	case ProblemPermission:
		return "cannot connect to " + uri + ": permission denied (" + m + "); add your user to the libvirt group and log in again"
	case ProblemDaemonDown:
		return "cannot connect to " + uri + ": the libvirt daemon is not running (" + m + "); start libvirtd"
	case ProblemNoDriver:
		return "cannot connect to " + uri + ": this libvirt has no driver for it (" + m + "); install libvirt-daemon-driver-qemu"
	case ProblemConnLost:
		return "lost the connection to " + uri + " (" + m + ")"
	}
	return "cannot connect to " + uri + ": " + m
}

// actionWords explains a failed lifecycle action on a named domain.
func actionWords(a model.VMAction, name string, err error) string {
	if Classify(err) == ProblemNotInstalled {
		return "cannot " + a.String() + " " + name + ": " + notInstalled
	}
	return "cannot " + a.String() + " " + name + ": " + Message(err)
}

// connectionBroken reports whether err means the connection itself is gone,
// so the source should drop it and reconnect.
func connectionBroken(err error) bool {
	switch Classify(err) {
	case ProblemConnLost, ProblemDaemonDown:
		return true
	case ProblemPermission, ProblemNotInstalled:
		return false
	}
	var le libvirt.Error
	if errors.As(err, &le) {
		return le.Code == libvirt.ERR_SYSTEM_ERROR || le.Code == libvirt.ERR_RPC || le.Code == libvirt.ERR_NO_CONNECT
	}
	return false
}

// fallbackNotice says that the list comes from a fallback URI because the
// first one refused, and how to reach the first one.
func fallbackNotice(wanted string, err error, used string) string {
	shown := "showing " + used + " (your user's own VMs) instead"
	if Classify(err) == ProblemPermission {
		return wanted + " refused your user (" + Message(err) + "); " + shown +
			". To see the system's VMs: sudo usermod -aG libvirt $USER, then log out and in again; `horcrux doctor` says more"
	}
	return connectWords(wanted, err) + "; " + shown
}
