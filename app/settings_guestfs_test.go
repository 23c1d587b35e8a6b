package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
)

// The guest filesystem threshold is edited in Settings, saved and applied.
func TestSettingsGuestFSThreshold(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	prefs := a.Preferences()
	prefs.SetString(prefAlerts, alerts.DefaultThresholds().Encode())
	var applied alerts.Thresholds
	settingsDialog(w, prefs, false, settingsApply{
		thresholds: func(t alerts.Thresholds) { applied = t },
		hosts:      func(uris, engines []string) {},
	})
	var field *widget.Entry
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if it.Text == "A guest filesystem above (%)" {
					field = it.Widget.(*widget.Entry)
				}
			}
		}
	}
	if field == nil {
		t.Fatal("no guest filesystem field in Settings")
	}
	if field.Text != "90" {
		t.Errorf("field shows %q, want the stored 90", field.Text)
	}
	field.SetText("75")
	test.Tap(overlayButton(t, w, "Save"))
	saved, err := alerts.DecodeThresholds(prefs.String(prefAlerts))
	if err != nil || saved.GuestFSPercent != 75 || applied.GuestFSPercent != 75 {
		t.Errorf("saved %v (%v), applied %v; want 75", saved.GuestFSPercent, err, applied.GuestFSPercent)
	}
}
