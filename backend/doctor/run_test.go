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
	rs := Run(ctx, Config{URIs: []string{"qemu:///system"}, DockerHosts: []string{"unix:///nonexistent/docker.sock"}})
	for _, name := range []string{checkProc, checkCgroup, checkLibvirtLib, "libvirt connection qemu:///system",
		"Docker connection unix:///nonexistent/docker.sock", checkDisplay, checkDBus, checkBrowser, checkHistory} {
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

func TestURITargets(t *testing.T) {
	const sys, sess = "qemu:///system", "qemu:///session"
	tests := []struct {
		name  string
		hosts []string
		env   string
		euid  int
		want  []uriTarget
	}{
		{"root, default", nil, "", 0, []uriTarget{{uri: sys}}},
		{"user, default: session is a fallback", nil, "", 1000, []uriTarget{{uri: sys}, {uri: sess, primary: sys}}},
		{"a blank host is the default", []string{""}, "", 1000, []uriTarget{{uri: sys}, {uri: sess, primary: sys}}},
		{"LIBVIRT_DEFAULT_URI counts as named", nil, "qemu+ssh://h/system", 1000, []uriTarget{{uri: "qemu+ssh://h/system", explicit: true}}},
		{"named host", []string{"test:///default"}, sess, 1000, []uriTarget{{uri: "test:///default", explicit: true}}},
		{"default plus Settings", []string{"", "qemu+ssh://a/system", "qemu+ssh://b/system"}, "", 0,
			[]uriTarget{{uri: sys}, {uri: "qemu+ssh://a/system", explicit: true}, {uri: "qemu+ssh://b/system", explicit: true}}},
		{"a named fallback is needed, checked once", []string{"", sess}, "", 1000, []uriTarget{{uri: sys}, {uri: sess, explicit: true}}},
		{"repeats checked once", []string{sys, "", sys}, "", 1000, []uriTarget{{uri: sys, explicit: true}, {uri: sess, primary: sys}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uriTargets(tt.hosts, tt.env, tt.euid); !slices.Equal(got, tt.want) {
				t.Errorf("uriTargets(%q, %q, %d) = %+v, want %+v", tt.hosts, tt.env, tt.euid, got, tt.want)
			}
		})
	}
}

func TestEngineTargets(t *testing.T) {
	const ssh, tcp = "ssh://me@box", "tcp://10.0.0.2:2375"
	tests := []struct {
		name  string
		hosts []string
		env   string
		want  []engineTarget
	}{
		{"default", nil, "", []engineTarget{{host: defaultDockerHost}}},
		{"a blank host is the default", []string{""}, "", []engineTarget{{host: defaultDockerHost}}},
		{"DOCKER_HOST counts as named", nil, tcp, []engineTarget{{host: tcp, explicit: true}}},
		{"default plus Settings, in order", []string{"", ssh, tcp}, "", []engineTarget{{host: defaultDockerHost}, {host: ssh, explicit: true}, {host: tcp, explicit: true}}},
		{"the default socket named is needed, checked once", []string{"", defaultDockerHost}, "", []engineTarget{{host: defaultDockerHost, explicit: true}}},
		{"DOCKER_HOST and a named host", []string{"", ssh}, ssh, []engineTarget{{host: ssh, explicit: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := engineTargets(tt.hosts, tt.env); !slices.Equal(got, tt.want) {
				t.Errorf("engineTargets(%q, %q) = %+v, want %+v", tt.hosts, tt.env, got, tt.want)
			}
		})
	}
}

// TestRunEveryEngine: one Docker result per engine, in the order given.
func TestRunEveryEngine(t *testing.T) {
	hosts := []string{"unix:///nonexistent/a.sock", "ssh://me@bad host", "unix:///nonexistent/b.sock"}
	rs := Run(context.Background(), Config{DockerHosts: hosts, Timeout: time.Second})
	var got []string
	for _, r := range rs {
		if strings.HasPrefix(r.Check, "Docker connection ") {
			got = append(got, strings.TrimPrefix(r.Check, "Docker connection "))
		}
	}
	if !slices.Equal(got, hosts) {
		t.Errorf("Docker checks for %q, want %q", got, hosts)
	}
}
