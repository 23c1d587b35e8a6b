package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/horcrux-desktop/horcrux/backend/history"
)

func TestHistoryLimitFields(t *testing.T) {
	l, err := limitFields{"0", "7", "365", "300"}.parse()
	if err != nil {
		t.Fatal(err)
	}
	if l.Keep != [3]time.Duration{0, 7 * 24 * time.Hour, 365 * 24 * time.Hour} || l.MaxBytes != 300<<20 {
		t.Errorf("parsed %+v", l)
	}
	for _, tt := range []struct {
		f    limitFields
		want string
	}{
		{limitFields{"x", "0", "0", "0"}, `1 s tier (hours) "x"`},
		{limitFields{"0", "-1", "0", "0"}, "1 min tier (days)"},
		{limitFields{"0", "60", "10", "0"}, "coarser tiers must keep at least as long"},
		{limitFields{"0", "0", "0", "0.5"}, "below 1 MiB"},
	} {
		if _, err := tt.f.parse(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want it to say %q", tt.f, err, tt.want)
		}
	}
}

// TestHistoryLimitsSaved: limits saved in prefs come back; saved values out
// of range give the defaults and say so.
func TestHistoryLimitsSaved(t *testing.T) {
	p := test.NewTempApp(t).Preferences()
	if l, err := savedLimits(p); err != nil || l != (history.Limits{}) {
		t.Fatalf("nothing saved: %+v, %v; want the defaults", l, err)
	}
	limitFields{"2", "14", "0", "100"}.save(p)
	l, err := savedLimits(p)
	if err != nil || l.Keep[0] != 2*time.Hour || l.Keep[1] != 14*24*time.Hour || l.MaxBytes != 100<<20 {
		t.Errorf("saved and read back: %+v, %v", l, err)
	}
	p.SetFloat(prefKeepMinute, 0.001)
	if l, err := savedLimits(p); err == nil || l != (history.Limits{}) || !strings.Contains(err.Error(), "the defaults apply") {
		t.Errorf("out of range: %+v, %v", l, err)
	}
}
