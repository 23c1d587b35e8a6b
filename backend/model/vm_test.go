package model

import "testing"

func TestVMActionString(t *testing.T) {
	want := map[VMAction]string{
		StartVM: "start", ShutDownVM: "shut down", RebootVM: "reboot",
		ForceOffVM: "force off", PauseVM: "pause", ResumeVM: "resume", VMAction(42): "unknown action",
	}
	for a, w := range want {
		if got := a.String(); got != w {
			t.Errorf("VMAction(%d).String() = %q, want %q", int(a), got, w)
		}
	}
}

func TestVMActionAppliesTo(t *testing.T) {
	all := []VMState{VMRunning, VMBlocked, VMPaused, VMShutdown, VMShutoff,
		VMCrashed, VMPMSuspended, VMNoState}
	tests := []struct {
		a   VMAction
		yes []VMState
	}{
		{StartVM, []VMState{VMShutoff, VMCrashed}},
		{ShutDownVM, []VMState{VMRunning, VMBlocked}},
		{RebootVM, []VMState{VMRunning, VMBlocked}},
		{ForceOffVM, []VMState{VMRunning, VMBlocked, VMPaused, VMShutdown, VMCrashed, VMPMSuspended}},
		{PauseVM, []VMState{VMRunning, VMBlocked}},
		{ResumeVM, []VMState{VMPaused, VMPMSuspended}},
		{VMAction(42), nil},
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
