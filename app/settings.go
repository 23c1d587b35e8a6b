package app

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/internal/savedhosts"
)

// settingsApply puts saved settings into effect at once.
type settingsApply struct {
	thresholds func(alerts.Thresholds)
	hosts      func(uris, engines []string) // the hosts added in Settings
}

// settingsField is an entry checked as it is typed: its problem is shown
// under it in words, and Save stays disabled until every field is right.
type settingsField struct {
	entry   *widget.Entry
	problem *widget.Label
	check   func(string) error
}

// settingsForm is the Settings dialog's content: the alert thresholds, the
// tray setting and the added hosts. What is typed is never replaced: a bad
// value stays as typed, with what is wrong under it.
type settingsForm struct {
	cpu, mem, load, forSecs, restarts, window *settingsField
	guestFS                                   *settingsField
	uris, engines                             *settingsField
	vmStop, ctExit, keep                      *widget.Check
	save, cancel                              *widget.Button
	summary                                   *widget.Label // why Save is disabled
	root                                      fyne.CanvasObject
	fields                                    []*settingsField
}

// Field checks: each says what is wrong and what is allowed.
func checkPercent(s string) error { return checkNumber(s, 100, false) }
func checkLoad(s string) error    { return checkNumber(s, 1000, false) }
func checkSeconds(s string) error { return checkNumber(s, 86400, false) }
func checkMinutes(s string) error { return checkNumber(s, 1440, false) }
func checkCount(s string) error   { return checkNumber(s, 1000, true) }

// checkNumber checks a number from 0 (off) to most, whole when whole.
func checkNumber(s string, most float64, whole bool) error {
	t := strings.TrimSpace(s)
	if t == "" {
		return errors.New("empty: type a number (0 turns it off)")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%q is not a number", shorten(t))
	}
	switch {
	case whole && v != math.Trunc(v):
		return fmt.Errorf("must be a whole number, not %s", t)
	case v < 0:
		return fmt.Errorf("must be 0 (off) or more, not %s", t)
	case v > most:
		return fmt.Errorf("must be at most %g, not %s", most, t)
	}
	return nil
}

// checkLines checks a list of hosts, one per line, naming the first bad one.
func checkLines(bad func(string) string) func(string) error {
	return func(s string) error {
		for _, l := range savedhosts.Split(s) {
			if why := bad(l); why != "" {
				return fmt.Errorf("%s: %s", shownText(l), why)
			}
		}
		return nil
	}
}

// number is a checked field's value; only called once every field is right.
func (f *settingsField) number() float64 {
	v, _ := strconv.ParseFloat(strings.TrimSpace(f.entry.Text), 64)
	return v
}

// newSettingsForm builds the form from prefs; save is called with the
// checked values, close when the dialog should go.
func newSettingsForm(prefs fyne.Preferences, hasTray bool, apply settingsApply, close func()) *settingsForm {
	t, _ := alerts.DecodeThresholds(prefs.String(prefAlerts))
	f := &settingsForm{summary: widget.NewLabel("")}
	f.summary.Importance = widget.DangerImportance
	f.summary.Wrapping = fyne.TextWrapWord
	field := func(text string, check func(string) error, multi bool) *settingsField {
		e := widget.NewEntry()
		if multi {
			e = widget.NewMultiLineEntry()
			e.SetMinRowsVisible(2)
		}
		e.SetText(text)
		p := widget.NewLabel("")
		p.Importance = widget.DangerImportance
		p.Wrapping = fyne.TextWrapWord
		p.Hide()
		sf := &settingsField{entry: e, problem: p, check: check}
		e.OnChanged = func(string) { f.validate() }
		f.fields = append(f.fields, sf)
		return sf
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	f.cpu = field(num(t.CPUPercent), checkPercent, false)
	f.mem = field(num(t.MemPercent), checkPercent, false)
	f.load = field(num(t.Load1PerCore), checkLoad, false)
	f.forSecs = field(num(t.For.Seconds()), checkSeconds, false)
	f.guestFS = field(num(t.GuestFSPercent), checkPercent, false)
	f.restarts = field(num(float64(t.ContainerRestarts)), checkCount, false)
	f.window = field(num(t.RestartWindow.Minutes()), checkMinutes, false)
	f.uris = field(prefs.String(prefMoreURIs), checkLines(badLibvirtURI), true)
	f.uris.entry.SetPlaceHolder("qemu+ssh://root@host/system")
	f.engines = field(prefs.String(prefMoreDocker), checkLines(badEngineAddress), true)
	f.engines.entry.SetPlaceHolder("ssh://user@host, tcp://host:2376\nor unix:///path/docker.sock")
	f.vmStop = widget.NewCheck("a VM stops without being asked to", nil)
	f.vmStop.SetChecked(t.VMStopped)
	f.ctExit = widget.NewCheck("a container exits with a non-zero code", nil)
	f.ctExit.SetChecked(t.ContainerExit)
	f.keep = widget.NewCheck("Keep running when the window is closed", nil)
	f.keep.SetChecked(prefs.Bool(prefKeepInTray))
	trayHint := "closing the window leaves Horcrux in the tray"
	if !hasTray {
		f.keep.Disable()
		trayHint = "no tray: no D-Bus session bus"
	}
	f.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), close)
	f.save = widget.NewButtonWithIcon("Save", theme.ConfirmIcon(), func() {
		if f.validate() != nil {
			return
		}
		nt := alerts.Thresholds{
			CPUPercent: f.cpu.number(), MemPercent: f.mem.number(), Load1PerCore: f.load.number(),
			For:       time.Duration(f.forSecs.number() * float64(time.Second)),
			VMStopped: f.vmStop.Checked, ContainerExit: f.ctExit.Checked,
			GuestFSPercent:    f.guestFS.number(),
			ContainerRestarts: int(f.restarts.number()),
			RestartWindow:     time.Duration(f.window.number() * float64(time.Minute)),
		}
		prefs.SetString(prefAlerts, nt.Encode())
		prefs.SetBool(prefKeepInTray, f.keep.Checked)
		moreURIs, moreEngines := savedhosts.Split(f.uris.entry.Text), savedhosts.Split(f.engines.entry.Text)
		prefs.SetString(prefMoreURIs, strings.Join(moreURIs, "\n"))
		prefs.SetString(prefMoreDocker, strings.Join(moreEngines, "\n"))
		apply.thresholds(nt)
		apply.hosts(moreURIs, moreEngines)
		close()
	})
	f.save.Importance = widget.HighImportance
	row := func(sf *settingsField, hint string) fyne.CanvasObject {
		h := widget.NewLabel(hint)
		h.Importance = widget.LowImportance
		h.Wrapping = fyne.TextWrapWord
		return container.NewVBox(sf.entry, sf.problem, h)
	}
	off := "0 turns it off"
	form := widget.NewForm(
		widget.NewFormItem("Host CPU above (%)", row(f.cpu, off)),
		widget.NewFormItem("Host memory above (%)", row(f.mem, off)),
		widget.NewFormItem("Load 1 min per core above", row(f.load, off)),
		widget.NewFormItem("…for at least (s)", row(f.forSecs, off)),
		widget.NewFormItem("A guest filesystem above (%)", row(f.guestFS, off)),
		widget.NewFormItem("Alert when", container.NewVBox(f.vmStop, f.ctExit)),
		widget.NewFormItem("Container restarts at least", row(f.restarts, off)),
		widget.NewFormItem("…within (min)", row(f.window, "")),
		widget.NewFormItem("Tray", container.NewVBox(f.keep, lowLabel(trayHint))),
		widget.NewFormItem("More libvirt hosts", row(f.uris, "one URI per line; applied when saved")),
		widget.NewFormItem("More container engines", row(f.engines, "one address per line; applied when saved")),
	)
	buttons := container.NewHBox(layout.NewSpacer(), f.cancel, f.save)
	// The form scrolls inside the dialog: a small window never grows to fit it.
	f.root = container.NewBorder(nil, container.NewVBox(f.summary, buttons), nil, nil, container.NewVScroll(form))
	f.validate()
	return f
}

func lowLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Importance = widget.LowImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}

// validate checks every field, shows each one's problem under it and
// enables Save only when there is none; it returns the first problem.
func (f *settingsForm) validate() error {
	var first error
	bad := 0
	for _, sf := range f.fields {
		err := sf.check(sf.entry.Text)
		text := ""
		if err != nil {
			text, bad = err.Error(), bad+1
			if first == nil {
				first = err
			}
		}
		if sf.problem.Text != text {
			sf.problem.SetText(text)
		}
		if sf.problem.Visible() != (err != nil) {
			if err != nil {
				sf.problem.Show()
			} else {
				sf.problem.Hide()
			}
		}
	}
	summary := ""
	switch {
	case bad == 1:
		summary = "1 field needs fixing before Save."
	case bad > 1:
		summary = fmt.Sprintf("%d fields need fixing before Save.", bad)
	}
	if f.summary.Text != summary {
		f.summary.SetText(summary)
	}
	f.summary.Hidden = summary == ""
	if f.save != nil {
		if first != nil {
			f.save.Disable()
		} else {
			f.save.Enable()
		}
	}
	return first
}

// settingsDialog edits the settings, saves them in prefs and applies them.
// It fits the window (its form scrolls) and is never wider than 640.
func settingsDialog(w fyne.Window, prefs fyne.Preferences, hasTray bool, apply settingsApply) {
	var d dialog.Dialog
	f := newSettingsForm(prefs, hasTray, apply, func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Settings", f.root, w)
	size := w.Canvas().Size()
	d.Resize(fyne.NewSize(min(640, size.Width-40), max(size.Height-60, 200)))
	d.Show()
}
