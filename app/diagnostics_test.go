package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/doctor"
)

func TestFixCommands(t *testing.T) {
	tests := []struct {
		fix  string
		want []string
	}{
		{"sudo systemctl restart docker", []string{"sudo systemctl restart docker"}},
		{"sudo apt-get install docker.io, then `sudo systemctl start docker`", []string{"sudo apt-get install docker.io", "sudo systemctl start docker"}},
		{"sudo usermod -aG docker $USER, then log out and in again (or run `newgrp docker` in this shell)",
			[]string{"sudo usermod -aG docker $USER", "newgrp docker"}},
		{"export DOCKER_HOST=unix:///run/user/1000/docker.sock (or start Horcrux with --docker-host unix:///run/user/1000/docker.sock)",
			[]string{"export DOCKER_HOST=unix:///run/user/1000/docker.sock"}},
		{"run `virsh -c 'qemu:///system' list --all`, which shows the same error", []string{"virsh -c 'qemu:///system' list --all"}},
		{"start Horcrux from the Wayland session", nil},
		{"an `unclosed quote", nil},
		{"`a` and `a` again", []string{"a"}},
	}
	for _, tt := range tests {
		if got := fixCommands(tt.fix); !slices.Equal(got, tt.want) {
			t.Errorf("fixCommands(%q) = %q, want %q", tt.fix, got, tt.want)
		}
	}
}

// FuzzFixCommands: every command found is a non-empty part of the fix.
func FuzzFixCommands(f *testing.F) {
	f.Add("sudo apt-get install docker.io, then `sudo systemctl start docker`")
	f.Add("``")
	f.Fuzz(func(t *testing.T, fix string) {
		for _, c := range fixCommands(fix) {
			if c == "" || !strings.Contains(fix, c) {
				t.Fatalf("%q: command %q", fix, c)
			}
		}
	})
}

func TestDiagnosticsFixWrappedWithCopy(t *testing.T) {
	a := test.NewTempApp(t)
	long := "sudo usermod -aG libvirt $USER, then log out and in again (or allow your user org.libvirt.unix.manage with a polkit rule, " +
		"which is longer than any window is wide, so it must wrap rather than scroll sideways)"
	card := resultCard(doctor.Result{Check: "libvirt access", Status: doctor.StatusFailed, Detail: "permission denied", Fix: long})
	w := test.NewTempWindow(t, card)
	w.Resize(fyne.NewSize(800, 600))
	if card.MinSize().Width > 800 {
		t.Fatalf("a long fix widens the card to %v", card.MinSize().Width)
	}
	var copyButton *widget.Button
	eachDrawn(card, func(o fyne.CanvasObject) {
		switch c := o.(type) {
		case *widget.Button:
			if c.Text == "Copy" {
				copyButton = c
			}
		case *widget.Entry:
			t.Errorf("the fix is in a one-line field again")
		}
	})
	if copyButton == nil {
		t.Fatal("no Copy button for the command")
	}
	test.Tap(copyButton)
	if got := a.Clipboard().Content(); got != "sudo usermod -aG libvirt $USER" {
		t.Errorf("copied %q", got)
	}
	if copyButton.Text != "Copied" {
		t.Errorf("the button says %q after copying", copyButton.Text)
	}
}
