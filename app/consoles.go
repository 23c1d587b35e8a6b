package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/vm"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// displayResolver finds a VM's VNC display; *vm.Source is one.
type displayResolver interface {
	Display(ctx context.Context, uuid string) (vm.Display, error)
}

// consoles opens VM consoles through one in-app proxy, started on first use.
// Its methods are safe from any goroutine.
type consoles struct {
	srcs []displayResolver      // one per libvirt host
	open func(url string) error // console.Open in the app

	mu     sync.Mutex
	server *console.Server
	closed bool
}

// server returns the running proxy, starting it if needed.
func (c *consoles) proxy() (*console.Server, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, console.ErrClosed
	}
	if c.server == nil {
		s, err := console.NewServer(console.Config{})
		if err != nil {
			return nil, err
		}
		c.server = s
	}
	return c.server, nil
}

// Open resolves the VM's display, mints a one-time ticket for it and opens
// the console page in the browser. It blocks on libvirt and the browser
// launcher, so call it off the UI goroutine.
func (c *consoles) Open(ctx context.Context, host int, uuid string) error {
	if host < 0 || host >= len(c.srcs) {
		return fmt.Errorf("no libvirt host %d", host)
	}
	d, err := c.srcs[host].Display(ctx, uuid)
	if err != nil {
		return err
	}
	s, err := c.proxy()
	if err != nil {
		return fmt.Errorf("cannot start the console proxy: %w", err)
	}
	url, err := s.Mint(console.Target{VM: d.Name, UUID: d.UUID, Dial: d.Dial, Desc: d.Via})
	if err != nil {
		return err
	}
	if err := c.open(url); err != nil {
		return fmt.Errorf("cannot open a browser for the console of %s: %w (install xdg-utils and a browser)", d.Name, err)
	}
	return nil
}

// Sessions lists the open console sessions; none before the first console.
func (c *consoles) Sessions() []console.SessionInfo {
	c.mu.Lock()
	s := c.server
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Sessions()
}

// CloseSession ends one session; the page says why.
func (c *consoles) CloseSession(id string) {
	c.mu.Lock()
	s := c.server
	c.mu.Unlock()
	if s != nil {
		s.CloseSession(id)
	}
}

// Close stops the proxy and every session.
func (c *consoles) Close() error {
	c.mu.Lock()
	s := c.server
	c.closed = true
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

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

// sessionText is one session's line: VM, how long, bytes each way.
func sessionText(s console.SessionInfo, now time.Time) string {
	return fmt.Sprintf("%s · %s · %s from the VM, %s to it", s.VM, now.Sub(s.Started).Round(time.Second),
		widgets.FormatBytes(float64(s.BytesFromVM)), widgets.FormatBytes(float64(s.BytesToVM)))
}
