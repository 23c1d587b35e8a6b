package doctor

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRunOnThisHost runs every check as `horcrux doctor` would and checks
// the shape: the fixed groups in order, valid statuses, a fix on every
// result that is not ok.
func TestRunOnThisHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // an upper bound only
	defer cancel()
	rs := Run(ctx, Config{Timeout: 3 * time.Second})
	t.Log(dump(rs))
	var names []string
	for _, r := range rs {
		names = append(names, r.Check)
		if !slices.Contains([]Status{StatusOK, StatusWarning, StatusFailed}, r.Status) {
			t.Errorf("%s: status %q", r.Check, r.Status)
		}
		if r.Detail == "" {
			t.Errorf("%s: no detail", r.Check)
		}
		if (r.Status == StatusOK) != (r.Fix == "") {
			t.Errorf("%s: status %s with fix %q", r.Check, r.Status, r.Fix)
		}
	}
	want := []string{checkProc, checkCgroup, checkLibvirtLib}
	if os.Geteuid() == 0 && os.Getenv("LIBVIRT_DEFAULT_URI") == "" {
		want = append(want, "libvirt connection qemu:///system")
	}
	if len(names) < len(want)+4 || !slices.Equal(names[:len(want)], want) {
		t.Fatalf("checks %q, want them to start with %q", names, want)
	}
	i := len(want)
	for _, n := range []string{checkDisplay, checkDBus, checkBrowser} {
		if !slices.Contains(names[i:], n) {
			t.Errorf("no %q check after the libvirt ones in %q", n, names)
		}
	}
}

// TestRunCancelled: a cancelled context still gives every group a result
// and does not wait for anything.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := Run(ctx, Config{URIs: []string{"qemu:///system"}, DockerHost: "unix:///nonexistent/docker.sock"})
	for _, name := range []string{checkProc, checkCgroup, checkLibvirtLib, "libvirt connection qemu:///system",
		"Docker connection unix:///nonexistent/docker.sock", checkDisplay, checkDBus, checkBrowser} {
		find(t, rs, name)
	}
}

func TestSafe(t *testing.T) {
	c := newChecker(Config{})
	rs := c.safe("boom", func() []Result { panic("broken") })
	if len(rs) != 1 {
		t.Fatalf("%v", rs)
	}
	expect(t, rs[0], StatusFailed, []string{"crashed (broken)"}, []string{"horcrux doctor --json"})
	if _, err := within(context.Background(), func() int { panic("in libvirt") }); err == nil || !strings.Contains(err.Error(), "in libvirt") {
		t.Errorf("within: %v", err)
	}
}

func TestDefaultURIs(t *testing.T) {
	tests := []struct {
		cfg      []string
		env      string
		euid     int
		want     []string
		explicit bool
	}{
		{nil, "", 0, []string{"qemu:///system"}, false},
		{nil, "", 1000, []string{"qemu:///system", "qemu:///session"}, false},
		{nil, "qemu+ssh://h/system", 1000, []string{"qemu+ssh://h/system"}, true},
		{[]string{"test:///default"}, "qemu:///session", 1000, []string{"test:///default"}, true},
	}
	for _, tt := range tests {
		got, explicit := defaultURIs(tt.cfg, tt.env, tt.euid)
		if !slices.Equal(got, tt.want) || explicit != tt.explicit {
			t.Errorf("defaultURIs(%v, %q, %d) = %v %v", tt.cfg, tt.env, tt.euid, got, explicit)
		}
	}
}
