package console

import (
	"fmt"
	"sync"
)

// Launcher opens consoles through one proxy, started on first use, so an
// app that never opens a console never listens. Safe from any goroutine;
// the window and `horcrux console` both use it.
type Launcher struct {
	cfg  Config
	open func(pageURL string) error // shows the page; nil to only return the URL

	mu     sync.Mutex
	server *Server
	closed bool
}

// NewLauncher returns a Launcher whose proxy uses cfg and which shows pages
// with open (Open in the app; nil when the caller prints the URL instead).
func NewLauncher(cfg Config, open func(pageURL string) error) *Launcher {
	return &Launcher{cfg: cfg, open: open}
}

// proxy returns the running server, starting it if needed.
func (l *Launcher) proxy() (*Server, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.server == nil {
		s, err := NewServer(l.cfg)
		if err != nil {
			return nil, fmt.Errorf("cannot start the console proxy: %w", err)
		}
		l.server = s
	}
	return l.server, nil
}

// Launch mints a one-time link for t and shows it; it returns the link.
func (l *Launcher) Launch(t Target) (pageURL string, err error) {
	s, err := l.proxy()
	if err != nil {
		return "", err
	}
	pageURL, err = s.Mint(t)
	if err != nil {
		return "", err
	}
	if l.open != nil {
		if err := l.open(pageURL); err != nil {
			return "", fmt.Errorf("cannot open a browser for the console of %s: %w", t.VM, err)
		}
	}
	return pageURL, nil
}

// running is the server if one was started.
func (l *Launcher) running() *Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.server
}

// Sessions lists the open sessions; none before the first console.
func (l *Launcher) Sessions() []SessionInfo {
	if s := l.running(); s != nil {
		return s.Sessions()
	}
	return nil
}

// CloseSession ends one session; the page says why.
func (l *Launcher) CloseSession(id string) {
	if s := l.running(); s != nil {
		s.CloseSession(id)
	}
}

// Server is the proxy if it was started, for callers that wait on it.
func (l *Launcher) Server() *Server { return l.running() }

// Close stops the proxy and every session; later Launches fail.
func (l *Launcher) Close() error {
	l.mu.Lock()
	s := l.server
	l.closed = true
	l.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}
