package vm

import (
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestStateOf(t *testing.T) {
	tests := []struct {
		in   libvirt.DomainState
		want model.VMState
	}{
		{libvirt.DOMAIN_NOSTATE, model.VMNoState},
		{libvirt.DOMAIN_RUNNING, model.VMRunning},
		{libvirt.DOMAIN_BLOCKED, model.VMBlocked},
		{libvirt.DOMAIN_PAUSED, model.VMPaused},
		{libvirt.DOMAIN_SHUTDOWN, model.VMShutdown},
		{libvirt.DOMAIN_SHUTOFF, model.VMShutoff},
		{libvirt.DOMAIN_CRASHED, model.VMCrashed},
		{libvirt.DOMAIN_PMSUSPENDED, model.VMPMSuspended},
		{libvirt.DomainState(99), model.VMNoState}, // from a newer libvirt
	}
	for _, tt := range tests {
		if got := stateOf(tt.in); got != tt.want {
			t.Errorf("stateOf(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
