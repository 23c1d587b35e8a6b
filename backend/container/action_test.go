package container

import "testing"

func TestActionString(t *testing.T) {
	want := []string{"start", "stop", "restart", "pause", "unpause", "remove"}
	for i, a := range Actions() {
		if a.String() != want[i] {
			t.Errorf("Actions()[%d].String() = %q; want %q", i, a.String(), want[i])
		}
	}
	if got := Action(0).String(); got != "Action(0)" {
		t.Errorf("Action(0).String() = %q", got)
	}
}

func TestAppliesTo(t *testing.T) {
	states := []string{"created", "running", "paused", "restarting", "removing", "exited", "dead"}
	// One row per action: the states it applies to, in the order of states.
	tests := []struct {
		a    Action
		want []bool
	}{
		//                created running paused restarting removing exited dead
		{Start, []bool{true, false, false, false, false, true, false}},
		{Stop, []bool{false, true, true, true, false, false, false}},
		{Restart, []bool{true, true, true, false, false, true, false}},
		{Pause, []bool{false, true, false, false, false, false, false}},
		{Unpause, []bool{false, false, true, false, false, false, false}},
		{Remove, []bool{true, true, true, true, false, true, true}},
		{Action(0), []bool{false, false, false, false, false, false, false}},
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
