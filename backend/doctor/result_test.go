package doctor

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteText(t *testing.T) {
	tests := []struct {
		name string
		in   []Result
		want string
	}{
		{"none", nil, ""},
		{"ok has no fix line", []Result{{Check: "cgroups", Status: StatusOK, Detail: "cgroup v2"}},
			"[ok]      cgroups: cgroup v2\n"},
		{"aligned, fix under the check", []Result{
			{Check: "display", Status: StatusFailed, Detail: "no DISPLAY", Fix: "export DISPLAY=:0"},
			{Check: "D-Bus session bus", Status: StatusWarning, Detail: "none", Fix: "dbus-run-session -- horcrux"},
			{Check: "browser", Status: StatusOK, Detail: "xdg-open"},
		}, "" +
			"[failed]  display: no DISPLAY\n" +
			"          fix: export DISPLAY=:0\n" +
			"[warning] D-Bus session bus: none\n" +
			"          fix: dbus-run-session -- horcrux\n" +
			"[ok]      browser: xdg-open\n"},
		{"libvirt's multi-line text stays on one line", []Result{
			{Check: "libvirt", Status: StatusFailed, Detail: "cannot connect:\n  no socket", Fix: "a\nb"},
		}, "" +
			"[failed]  libvirt: cannot connect: no socket\n" +
			"          fix: a b\n"},
		{"not ok without a fix", []Result{{Check: "x", Status: StatusWarning, Detail: "y"}},
			"[warning] x: y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, tt.in); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name string
		in   []Result
		want string
	}{
		{"nil is an empty array", nil, "[]\n"},
		{"every field, shell characters unescaped", []Result{
			{Check: "VM console a (qemu:///system)", Status: StatusWarning, Detail: "console needs VNC; this VM has SPICE only",
				Fix: "virsh edit a (<graphics type='vnc'/>) && restart"},
			{Check: "cgroups", Status: StatusOK, Detail: "cgroup v2"},
		}, `[
  {
    "check": "VM console a (qemu:///system)",
    "status": "warning",
    "detail": "console needs VNC; this VM has SPICE only",
    "fix": "virsh edit a (<graphics type='vnc'/>) && restart"
  },
  {
    "check": "cgroups",
    "status": "ok",
    "detail": "cgroup v2",
    "fix": ""
  }
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, tt.in); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
			var back []Result
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != len(tt.in) {
				t.Errorf("does not round-trip: %v %v", back, err)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	tests := []struct {
		name string
		in   []Result
		want bool
	}{
		{"none", nil, false},
		{"ok and warning", []Result{{Status: StatusOK}, {Status: StatusWarning}}, false},
		{"one failed", []Result{{Status: StatusOK}, {Status: StatusFailed}, {Status: StatusWarning}}, true},
	}
	for _, tt := range tests {
		if got := Failed(tt.in); got != tt.want {
			t.Errorf("%s: Failed = %v, want %v", tt.name, got, tt.want)
		}
	}
}
