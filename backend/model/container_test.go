package model

import "testing"

func TestContainerActionString(t *testing.T) {
	want := []string{"start", "stop", "restart", "pause", "unpause", "remove"}
	for i, a := range ContainerActions() {
		if a.String() != want[i] {
			t.Errorf("ContainerActions()[%d].String() = %q; want %q", i, a.String(), want[i])
		}
	}
	if got := ContainerAction(0).String(); got != "ContainerAction(0)" {
		t.Errorf("ContainerAction(0).String() = %q", got)
	}
}

func TestContainerActionAppliesTo(t *testing.T) {
	states := []string{"created", "running", "paused", "restarting", "removing", "exited", "dead"}
	// One row per action: the states it applies to, in the order of states.
	tests := []struct {
		a    ContainerAction
		want []bool
	}{
		//                created running paused restarting removing exited dead
		{StartContainer, []bool{true, false, false, false, false, true, false}},
		{StopContainer, []bool{false, true, true, true, false, false, false}},
		{RestartContainer, []bool{true, true, true, false, false, true, false}},
		{PauseContainer, []bool{false, true, false, false, false, false, false}},
		{UnpauseContainer, []bool{false, false, true, false, false, false, false}},
		{RemoveContainer, []bool{true, true, true, true, false, true, true}},
		{ContainerAction(0), []bool{false, false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		for i, st := range states {
			if got := tt.a.AppliesTo(st); got != tt.want[i] {
				t.Errorf("%v.AppliesTo(%q) = %v; want %v", tt.a, st, got, tt.want[i])
			}
		}
		if tt.a.AppliesTo("") {
			t.Errorf("%v.AppliesTo(\"\") = true; want false", tt.a)
		}
	}
}
