package vm

import (
	"testing"

	"libvirt.org/go/libvirt"
)

func TestStateOf(t *testing.T) {
	tests := []struct {
		in   libvirt.DomainState
		want State
	}{
		{libvirt.DOMAIN_NOSTATE, StateNoState},
		{libvirt.DOMAIN_RUNNING, StateRunning},
		{libvirt.DOMAIN_BLOCKED, StateBlocked},
		{libvirt.DOMAIN_PAUSED, StatePaused},
		{libvirt.DOMAIN_SHUTDOWN, StateShutdown},
		{libvirt.DOMAIN_SHUTOFF, StateShutoff},
		{libvirt.DOMAIN_CRASHED, StateCrashed},
		{libvirt.DOMAIN_PMSUSPENDED, StatePMSuspended},
		{libvirt.DomainState(99), StateNoState}, // from a newer libvirt
	}
	for _, tt := range tests {
		if got := stateOf(tt.in); got != tt.want {
			t.Errorf("stateOf(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestActionString(t *testing.T) {
	want := map[Action]string{
		Start: "start", Shutdown: "shut down", Reboot: "reboot",
		ForceOff: "force off", Pause: "pause", Resume: "resume", Action(42): "unknown action",
	}
	for a, w := range want {
		if got := a.String(); got != w {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, w)
		}
	}
}

func TestActionAppliesTo(t *testing.T) {
	all := []State{StateRunning, StateBlocked, StatePaused, StateShutdown, StateShutoff,
		StateCrashed, StatePMSuspended, StateNoState}
	tests := []struct {
		a   Action
		yes []State
	}{
		{Start, []State{StateShutoff, StateCrashed}},
		{Shutdown, []State{StateRunning, StateBlocked}},
		{Reboot, []State{StateRunning, StateBlocked}},
		{ForceOff, []State{StateRunning, StateBlocked, StatePaused, StateShutdown, StateCrashed, StatePMSuspended}},
		{Pause, []State{StateRunning, StateBlocked}},
		{Resume, []State{StatePaused, StatePMSuspended}},
		{Action(42), nil},
	}
	for _, tt := range tests {
		for _, s := range all {
			want := false
			for _, y := range tt.yes {
				want = want || y == s
			}
			if got := tt.a.AppliesTo(s); got != want {
				t.Errorf("%s.AppliesTo(%s) = %v, want %v", tt.a, s, got, want)
			}
		}
	}
}
