package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/history"
)

// Preference keys of the history limits: hours the 1 s tier keeps, days
// the 1 min and 30 min tiers keep (0: the default) and the file's cap in
// MiB (0: none).
const (
	prefKeepSecond   = "history.keep_1s_hours"
	prefKeepMinute   = "history.keep_1m_days"
	prefKeepHalfHour = "history.keep_30m_days"
	prefHistoryCapMB = "history.max_mib"
)

// limitFields are the history settings as the dialog shows them.
type limitFields struct {
	secondHours, minuteDays, halfHourDays, capMiB string
}

// parse turns the fields into limits, saying which field is wrong.
func (f limitFields) parse() (history.Limits, error) {
	num := func(name, s string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%s %q is not a number of 0 or more", name, s)
		}
		return v, nil
	}
	var l history.Limits
	for i, fd := range []struct {
		name, text string
		unit       time.Duration
	}{
		{"1 s tier (hours)", f.secondHours, time.Hour},
		{"1 min tier (days)", f.minuteDays, 24 * time.Hour},
		{"30 min tier (days)", f.halfHourDays, 24 * time.Hour},
	} {
		v, err := num(fd.name, fd.text)
		if err != nil {
			return l, err
		}
		l.Keep[i] = time.Duration(v * float64(fd.unit))
	}
	mib, err := num("size cap (MiB)", f.capMiB)
	if err != nil {
		return l, err
	}
	l.MaxBytes = int64(mib * (1 << 20))
	return l, l.Validate()
}

// savedLimitFields reads the history settings from prefs.
func savedLimitFields(p fyne.Preferences) limitFields {
	s := func(key string) string { return strconv.FormatFloat(p.FloatWithFallback(key, 0), 'f', -1, 64) }
	return limitFields{s(prefKeepSecond), s(prefKeepMinute), s(prefKeepHalfHour), s(prefHistoryCapMB)}
}

// save writes f, already parsed, to prefs.
func (f limitFields) save(p fyne.Preferences) {
	for k, v := range map[string]string{prefKeepSecond: f.secondHours, prefKeepMinute: f.minuteDays,
		prefKeepHalfHour: f.halfHourDays, prefHistoryCapMB: f.capMiB} {
		x, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
		p.SetFloat(k, x)
	}
}

// savedLimits are the history limits saved in prefs; saved values out of
// range give the defaults and say why.
func savedLimits(p fyne.Preferences) (history.Limits, error) {
	l, err := savedLimitFields(p).parse()
	if err != nil {
		return history.Limits{}, fmt.Errorf("history settings: %v: the defaults apply; fix them in History settings", err)
	}
	return l, nil
}

// limitsSetter is the part of the history store the settings change.
type limitsSetter interface {
	SetLimits(history.Limits) error
}

// historySettingsDialog edits how long each tier is kept and the file's
// cap, saves them and applies them to st.
func historySettingsDialog(w fyne.Window, p fyne.Preferences, st limitsSetter) {
	f := savedLimitFields(p)
	entry := func(v string) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(v)
		return e
	}
	sec, min1, half, capMB := entry(f.secondHours), entry(f.minuteDays), entry(f.halfHourDays), entry(f.capMiB)
	fields := func() limitFields { return limitFields{sec.Text, min1.Text, half.Text, capMB.Text} }
	items := []*widget.FormItem{
		{Text: "1 s buckets kept (hours)", Widget: sec, HintText: "0: the default, 1 h"},
		{Text: "1 min buckets kept (days)", Widget: min1, HintText: "0: the default, 30 days"},
		{Text: "30 min buckets kept (days)", Widget: half, HintText: "0: the default, 2 years"},
		{Text: "File size cap (MiB)", Widget: capMB, HintText: "0: no cap; over it the oldest history goes first"},
	}
	for _, it := range items {
		it.Widget.(*widget.Entry).Validator = func(string) error { _, err := fields().parse(); return err }
	}
	dialog.ShowForm("History", "Save", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		l, err := fields().parse()
		if err != nil {
			dialog.ShowError(err, w)
			return
		}
		fields().save(p)
		if st != nil {
			if err := st.SetLimits(l); err != nil {
				dialog.ShowError(err, w)
			}
		}
	}, w)
}
