package plural

import "testing"

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "machine", "0 machines"},
		{1, "machine", "1 machine"},
		{2, "VM", "2 VMs"},
		{-1, "core", "-1 cores"},
		{1000, "container", "1000 containers"},
	} {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
