package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
)

// The guest filesystem threshold is edited in Settings, checked, saved and applied.
func TestSettingsGuestFSThreshold(t *testing.T) {
	a := test.NewTempApp(t)
	prefs := a.Preferences()
	prefs.SetString(prefAlerts, alerts.DefaultThresholds().Encode())
	var applied alerts.Thresholds
	f := newSettingsForm(prefs, false, settingsApply{
		thresholds: func(t alerts.Thresholds) { applied = t },
		hosts:      func(uris, engines []string) {},
	}, func() {})
	if f.guestFS.entry.Text != "90" {
		t.Errorf("field shows %q, want the stored 90", f.guestFS.entry.Text)
	}
	f.guestFS.entry.SetText("120")
	if !f.save.Disabled() {
		t.Error("Save enabled with a guest filesystem threshold of 120 %")
	}
	f.guestFS.entry.SetText("75")
	test.Tap(f.save)
	saved, err := alerts.DecodeThresholds(prefs.String(prefAlerts))
	if err != nil || saved.GuestFSPercent != 75 || applied.GuestFSPercent != 75 {
		t.Errorf("saved %v (%v), applied %v; want 75", saved.GuestFSPercent, err, applied.GuestFSPercent)
	}
}
