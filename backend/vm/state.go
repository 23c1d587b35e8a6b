package vm

import (
	"github.com/horcrux-desktop/horcrux/backend/model"
	"libvirt.org/go/libvirt"
)

// stateOf names a libvirt domain state; unknown numbers from a newer libvirt
// become VMNoState rather than a made-up name.
func stateOf(s libvirt.DomainState) model.VMState {
	switch s {
	case libvirt.DOMAIN_RUNNING:
		return model.VMRunning
	case libvirt.DOMAIN_BLOCKED:
		return model.VMBlocked
	case libvirt.DOMAIN_PAUSED:
		return model.VMPaused
	case libvirt.DOMAIN_SHUTDOWN:
		return model.VMShutdown
	case libvirt.DOMAIN_SHUTOFF:
		return model.VMShutoff
	case libvirt.DOMAIN_CRASHED:
		return model.VMCrashed
	case libvirt.DOMAIN_PMSUSPENDED:
		return model.VMPMSuspended
	}
	return model.VMNoState
}
