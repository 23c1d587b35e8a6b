package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// prefAlerts stores the alert thresholds (alerts.Thresholds.Encode).
const prefAlerts = "alerts.thresholds"

// expectFor is how long an asked-for stop is not alerted on.
const expectFor = 3 * time.Minute

// alerting raises desktop notifications and keeps the banner above the tabs.
// It lives on the UI goroutine, as the engine must stay on one goroutine.
type alerting struct {
	engine *alerts.Engine
	banner *widget.Label
	box    *fyne.Container // the banner's row; hidden when nothing is active
	notify func(title, body string)
	// record, when set, puts alerts raised and cleared on the history
	// timeline; it must not block.
	record func(history.Event)
}

func newAlerting(t alerts.Thresholds, notify func(title, body string)) *alerting {
	a := &alerting{engine: alerts.NewEngine(t), banner: widget.NewLabel(""), notify: notify}
	a.banner.Importance = widget.DangerImportance
	a.banner.Wrapping = fyne.TextWrapWord
	a.box = container.NewStack(a.banner)
	a.box.Hide()
	return a
}

// observe feeds one snapshot: each new episode is notified once, and the
// banner lists what is still going on.
func (a *alerting) observe(s *model.Snapshot) {
	raised, resolved := a.engine.Observe(s)
	if a.record != nil {
		for _, e := range alertEvents(s.Time, raised, resolved) {
			a.record(e)
		}
	}
	for _, al := range raised {
		a.notify(al.Title, al.Body)
	}
	if len(raised) == 0 && len(resolved) == 0 {
		return
	}
	a.banner.SetText(bannerText(a.engine.Active()))
	a.box.Hidden = a.banner.Text == ""
	a.box.Refresh()
}

// bannerText is one line per open episode.
func bannerText(active []alerts.Alert) string {
	lines := make([]string, 0, len(active))
	for _, al := range active {
		lines = append(lines, fmt.Sprintf("%s: %s (since %s)", al.Title, al.Body, al.Since.Format("15:04:05")))
	}
	return strings.Join(lines, "\n")
}

// settingsApply puts saved settings into effect at once.
type settingsApply struct {
	thresholds func(alerts.Thresholds)
	hosts      func(uris, engines []string) // the hosts added in Settings
}

// settingsDialog edits the alert thresholds, the tray setting and the
// added hosts, saves them in prefs and applies them.
func settingsDialog(w fyne.Window, prefs fyne.Preferences, hasTray bool, apply settingsApply) {
	t, _ := alerts.DecodeThresholds(prefs.String(prefAlerts))
	num := func(v float64) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(strconv.FormatFloat(v, 'f', -1, 64))
		return e
	}
	cpu, mem, load := num(t.CPUPercent), num(t.MemPercent), num(t.Load1PerCore)
	forSecs := num(t.For.Seconds())
	restarts := num(float64(t.ContainerRestarts))
	window := num(t.RestartWindow.Minutes())
	vmStop := widget.NewCheck("a VM stops without being asked to", nil)
	vmStop.SetChecked(t.VMStopped)
	ctExit := widget.NewCheck("a container exits with a non-zero code", nil)
	ctExit.SetChecked(t.ContainerExit)
	keep := widget.NewCheck("Keep running in the tray when the window is closed", nil)
	keep.SetChecked(prefs.Bool(prefKeepInTray))
	if !hasTray {
		keep.Disable()
		keep.Text += " (no tray: no D-Bus session bus)"
	}
	uris := widget.NewMultiLineEntry()
	uris.SetText(prefs.String(prefMoreURIs))
	uris.SetPlaceHolder("qemu+ssh://root@host/system")
	uris.SetMinRowsVisible(2)
	engines := widget.NewMultiLineEntry()
	engines.SetText(prefs.String(prefMoreDocker))
	engines.SetPlaceHolder("ssh://user@host, tcp://host:2376 or unix:///path/docker.sock")
	engines.SetMinRowsVisible(2)
	items := []*widget.FormItem{
		widget.NewFormItem("Host CPU above (%)", cpu),
		widget.NewFormItem("Host memory above (%)", mem),
		widget.NewFormItem("Load 1 min per core above", load),
		widget.NewFormItem("…for at least (s)", forSecs),
		widget.NewFormItem("Alert when", container.NewVBox(vmStop, ctExit)),
		widget.NewFormItem("Container restarts at least", restarts),
		widget.NewFormItem("…within (min)", window),
		widget.NewFormItem("Tray", keep),
		{Text: "More libvirt hosts", Widget: uris, HintText: "one URI per line; applied when saved"},
		{Text: "More container engines", Widget: engines, HintText: "one address per line; applied when saved"},
	}
	for _, it := range items[:4] {
		it.HintText = "0 turns it off"
	}
	dialog.ShowForm("Settings", "Save", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		parse := func(e *widget.Entry) float64 {
			v, err := strconv.ParseFloat(strings.TrimSpace(e.Text), 64)
			if err != nil {
				return -1 // Validate names the field
			}
			return v
		}
		nt := alerts.Thresholds{
			CPUPercent: parse(cpu), MemPercent: parse(mem), Load1PerCore: parse(load),
			For:       time.Duration(parse(forSecs) * float64(time.Second)),
			VMStopped: vmStop.Checked, ContainerExit: ctExit.Checked,
			GuestFSPercent:    t.GuestFSPercent, // no field yet: keep what is stored
			ContainerRestarts: int(parse(restarts)),
			RestartWindow:     time.Duration(parse(window) * float64(time.Minute)),
		}
		if err := nt.Validate(); err != nil {
			dialog.ShowError(fmt.Errorf("settings not saved: %w", err), w)
			return
		}
		prefs.SetString(prefAlerts, nt.Encode())
		prefs.SetBool(prefKeepInTray, keep.Checked)
		moreURIs, moreEngines := savedhosts.Split(uris.Text), savedhosts.Split(engines.Text)
		prefs.SetString(prefMoreURIs, strings.Join(moreURIs, "\n"))
		prefs.SetString(prefMoreDocker, strings.Join(moreEngines, "\n"))
		apply.thresholds(nt)
		apply.hosts(moreURIs, moreEngines)
	}, w)
}
