package app

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// sessionsPanel lists open console sessions with a Close button each. It
// is hidden while there are none.
type sessionsPanel struct {
	root  *fyne.Container
	rows  *fyne.Container
	ids   []string
	texts []*widget.Label
	close func(id string)
}

func newSessionsPanel(close func(id string)) *sessionsPanel {
	p := &sessionsPanel{rows: container.NewVBox(), close: close}
	title := widget.NewLabel("Console sessions")
	title.TextStyle.Bold = true
	p.root = container.NewVBox(widget.NewSeparator(), title, p.rows)
	p.root.Hide()
	return p
}

// show brings the list up to date; rows are rebuilt only when the set of
// sessions changes. It runs on the UI goroutine.
func (p *sessionsPanel) show(ss []console.SessionInfo, now time.Time) {
	same := len(ss) == len(p.ids)
	for i := 0; same && i < len(ss); i++ {
		same = ss[i].ID == p.ids[i]
	}
	if !same {
		p.rows.RemoveAll()
		p.ids, p.texts = p.ids[:0], p.texts[:0]
		for _, s := range ss {
			id := s.ID
			l := widget.NewLabel("")
			p.rows.Add(container.NewBorder(nil, nil, nil,
				widget.NewButtonWithIcon("Close", theme.CancelIcon(), func() { p.close(id) }), l))
			p.ids = append(p.ids, id)
			p.texts = append(p.texts, l)
		}
		p.root.Hidden = len(ss) == 0
		p.root.Refresh()
	}
	for i, s := range ss {
		p.texts[i].SetText(sessionText(s, now))
	}
}

// sessionText is one session's line: what, how long, bytes each way.
func sessionText(s console.SessionInfo, now time.Time) string {
	what := s.Kind.Title()
	if s.Device != "" {
		what += " " + s.Device
	}
	return fmt.Sprintf("%s (%s) · %s · %s in, %s out", s.VM, what, now.Sub(s.Started).Round(time.Second),
		widgets.FormatBytes(float64(s.BytesFromVM)), widgets.FormatBytes(float64(s.BytesToVM)))
}
