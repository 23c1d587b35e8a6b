package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
)

func TestSettingsValidateAsYouType(t *testing.T) {
	a := test.NewTempApp(t)
	prefs := a.Preferences()
	var applied []alerts.Thresholds
	var hosts [][]string
	closed := 0
	f := newSettingsForm(prefs, true, settingsApply{
		thresholds: func(t alerts.Thresholds) { applied = append(applied, t) },
		hosts:      func(u, e []string) { hosts = append(hosts, u, e) },
	}, func() { closed++ })
	w := test.NewTempWindow(t, f.root)
	w.Resize(fyne.NewSize(800, 600))
	if f.save.Disabled() {
		t.Fatalf("defaults are not savable: %v", f.validate())
	}

	tests := []struct {
		field *settingsField
		typed string
		want  string // in the problem shown; "" for none
	}{
		{f.cpu, "abc", `"abc" is not a number`},
		{f.cpu, "", "empty"},
		{f.cpu, "101", "at most 100"},
		{f.cpu, "-1", "0 (off) or more"},
		{f.cpu, "NaN", "not a number"},
		{f.cpu, " 85 ", ""},
		{f.load, "1e400", "not a number"},
		{f.load, "1.5", ""},
		{f.restarts, "2.5", "whole number"},
		{f.restarts, "3", ""},
		{f.uris, "qemu+ssh://root@far/system\nnot a uri", `"not a uri": not a libvirt URI`},
		{f.uris, "qemu+ssh://root@far/system", ""},
		{f.engines, "docker.example", "not an engine address"},
		{f.engines, "ssh://me@far", ""},
	}
	for _, tt := range tests {
		tt.field.entry.SetText("")
		test.Type(tt.field.entry, tt.typed)
		got := ""
		if tt.field.problem.Visible() {
			got = tt.field.problem.Text
		}
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("typed %q: shown %q, want %q", tt.typed, got, tt.want)
		}
		if f.save.Disabled() != (tt.want != "") {
			t.Errorf("typed %q: Save disabled %v", tt.typed, f.save.Disabled())
		}
		if tt.field.entry.Text != tt.typed {
			t.Errorf("typed %q, the field holds %q: input replaced", tt.typed, tt.field.entry.Text)
		}
	}
	// Two bad fields: both say so, and so does the summary; Save does nothing.
	f.mem.entry.SetText("x")
	f.window.entry.SetText("-3")
	if !strings.Contains(f.summary.Text, "2 fields") || !f.save.Disabled() {
		t.Fatalf("summary %q, Save disabled %v", f.summary.Text, f.save.Disabled())
	}
	test.Tap(f.save)
	if len(applied) != 0 || closed != 0 || f.mem.entry.Text != "x" {
		t.Fatalf("a disabled Save applied %v, closed %d, left %q", applied, closed, f.mem.entry.Text)
	}
	f.mem.entry.SetText("90")
	f.window.entry.SetText("10")
	test.Tap(f.save)
	if len(applied) != 1 || applied[0].CPUPercent != 85 || applied[0].MemPercent != 90 || applied[0].ContainerRestarts != 3 || closed != 1 {
		t.Fatalf("saved %+v, closed %d", applied, closed)
	}
	if got, _ := alerts.DecodeThresholds(prefs.String(prefAlerts)); got != applied[0] {
		t.Errorf("stored %+v, applied %+v", got, applied[0])
	}
	if prefs.String(prefMoreURIs) != "qemu+ssh://root@far/system" || hosts[1][0] != "ssh://me@far" {
		t.Errorf("hosts stored %q, applied %q", prefs.String(prefMoreURIs), hosts)
	}
}

func TestSettingsDialogFitsSmallWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(800, 600))
	settingsDialog(w, a.Preferences(), false, settingsApply{thresholds: func(alerts.Thresholds) {}, hosts: func(_, _ []string) {}})
	if got := w.Canvas().Size(); got.Width > 800 || got.Height > 600 {
		t.Fatalf("Settings grew the window to %v", got)
	}
	ov := w.Canvas().Overlays().Top()
	if ov == nil {
		t.Fatal("no dialog")
	}
	if s := ov.Size(); s.Width > 800 || s.Height > 600 {
		t.Errorf("dialog %v larger than the window", s)
	}
}
