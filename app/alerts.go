package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
