package vm

import (
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestClassifyAndWords(t *testing.T) {
	const uri = "qemu:///system"
	tests := []struct {
		name   string
		err    error
		want   Problem
		words  []string // substrings of connectWords
		broken bool
	}{
		{"dlopen first call", libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR,
			Message: "libvirt.so.0: cannot open shared object file: No such file or directory"},
			ProblemNotInstalled, []string{"libvirt is not installed", "install libvirt-daemon-system"}, false},
		{"dlopen later calls", libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "Failed to open libvirt.so.0"},
			ProblemNotInstalled, []string{"libvirt is not installed"}, false},
		{"admin lib missing", libvirt.Error{Message: "libvirt-admin.so.0: cannot open shared object file"},
			ProblemNotInstalled, []string{"libvirt is not installed"}, false},
		{"socket permission", libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Domain: libvirt.FROM_RPC,
			Message: "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied"},
			ProblemPermission, []string{"cannot connect to qemu:///system: permission denied", "libvirt group"}, false},
		{"polkit", libvirt.Error{Code: libvirt.ERR_AUTH_UNAVAILABLE,
			Message: "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"},
			ProblemPermission, []string{"permission denied", "no polkit agent"}, false},
		{"access denied", libvirt.Error{Code: libvirt.ERR_ACCESS_DENIED, Message: "access denied"},
			ProblemPermission, []string{"permission denied"}, false},
		{"daemon down", libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Domain: libvirt.FROM_RPC,
			Message: "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"},
			ProblemDaemonDown, []string{"the libvirt daemon is not running", "start libvirtd", "No such file"}, true},
		{"daemon refused", libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR,
			Message: "Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused"},
			ProblemDaemonDown, []string{"not running"}, true},
		{"no driver", libvirt.Error{Code: libvirt.ERR_NO_CONNECT, Message: "no connection driver available for bhyve:///system"},
			ProblemNoDriver, []string{"no driver", "libvirt-daemon-driver-qemu"}, true},
		{"eof", libvirt.Error{Code: libvirt.ERR_SYSTEM_ERROR, Message: "End of file while reading data: Input/output error"},
			ProblemConnLost, []string{"lost the connection to qemu:///system"}, true},
		{"closed socket", libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: client socket is closed"},
			ProblemConnLost, []string{"lost the connection"}, true},
		{"invalid conn", libvirt.Error{Code: libvirt.ERR_INVALID_CONN, Message: "invalid connection pointer in virConnectGetAllDomainStats"},
			ProblemConnLost, []string{"lost the connection"}, true},
		{"other", libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"},
			ProblemOther, []string{"cannot connect to qemu:///system: Requested operation is not valid"}, false},
		{"plain go error", errors.New("boom"), ProblemOther, []string{"boom"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("classify = %d, want %d", got, tt.want)
			}
			w := connectWords(uri, tt.err)
			for _, sub := range tt.words {
				if !strings.Contains(w, sub) {
					t.Errorf("connectWords = %q, want it to contain %q", w, sub)
				}
			}
			if strings.Contains(w, "virError(") {
				t.Errorf("connectWords leaks the binding's wrapper: %q", w)
			}
			if got := connectionBroken(tt.err); got != tt.broken {
				t.Errorf("connectionBroken = %v, want %v", got, tt.broken)
			}
		})
	}
}

func TestActionWords(t *testing.T) {
	err := libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is already running"}
	got := actionWords(model.StartVM, "ci-vm", err)
	if want := "cannot start ci-vm: Requested operation is not valid: domain is already running"; got != want {
		t.Errorf("actionWords = %q, want %q", got, want)
	}
	got = actionWords(model.ShutDownVM, "ci-vm", libvirt.Error{Message: "Failed to open libvirt.so.0"})
	if want := "cannot shut down ci-vm: " + notInstalled; got != want {
		t.Errorf("actionWords = %q, want %q", got, want)
	}
}
