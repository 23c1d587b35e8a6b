package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/horcrux-desktop/horcrux/novncassets"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// The URL layout of the one origin.
const (
	pagePath   = "/console/"
	wsPath     = "/console/ws"
	apiOpen    = "/console/api/open"   // page ticket -> VM name, WebSocket URL, page secret
	apiTicket  = "/console/api/ticket" // page secret -> a fresh WebSocket URL (Reconnect)
	apiStats   = "/console/api/stats"  // page secret -> the proxy's byte counters
	apiVV      = "/console/api/vv"     // page secret -> a remote-viewer file for a SPICE display
	pageHeader = "X-Horcrux-Page"      // carries the page secret
)

// ServeHTTP routes the console origin; it is the http.Server's handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range s.headers {
		w.Header()[k] = v
	}
	if r.Host != s.host {
		// A page on another name that resolves here (DNS rebinding) gets nothing.
		s.refuse(w, r, http.StatusMisdirectedRequest, "wrong Host header "+strconvQuote(r.Host))
		return
	}
	if !s.enter() {
		http.Error(w, "the Horcrux console server is closing", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	switch p := r.URL.Path; p {
	case wsPath:
		s.serveWS(w, r)
	case apiOpen, apiTicket, apiStats, apiVV:
		s.serveAPI(w, r, p)
	default:
		s.serveAsset(w, r)
	}
}

// refuse answers with status and a plain reason, and logs it: a browser's WebSocket only reports 1006.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	s.refusals.warn("console: request refused", "status", status, "reason", reason,
		"method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
	http.Error(w, reason, status)
}

// sameOrigin accepts exactly one Origin header equal to the server's own origin.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Values("Origin")
	return len(o) == 1 && o[0] == s.origin
}

// assetFor maps a request path to a page file, or with lib set to a file of an embedded
// library (name then starts with the library's directory); ok is false for anything else.
func assetFor(urlPath string) (name string, lib bool, ok bool) {
	rest, found := strings.CutPrefix(urlPath, pagePath)
	if !found {
		return "", false, false
	}
	if rest == "" {
		return "index.html", false, true
	}
	if strings.Contains(rest, "\\") || !fs.ValidPath(rest) {
		return "", false, false
	}
	if dir, sub, nested := strings.Cut(rest, "/"); nested {
		for _, l := range novncassets.Libs() {
			if dir == l.Dir {
				if sub == "" {
					return "", false, false
				}
				return rest, true, true
			}
		}
	}
	return rest, false, true
}

// pageFor is the page that shows a console of kind k.
func pageFor(k Kind) string {
	switch {
	case k == SPICE:
		return "spice.html"
	case k.text():
		return "term.html"
	}
	return ""
}

// contentType is fixed here, not taken from the system's mime.types: nosniff and ES modules need it exact.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, lib, ok := assetFor(r.URL.Path)
	if !ok {
		http.Error(w, "not found: open a console from Horcrux", http.StatusNotFound)
		return
	}
	a := s.cfg.assets
	if a.err != nil && (path.Ext(name) == ".html" || lib) {
		s.serveMissing(w)
		return
	}
	fsys := a.page
	if lib {
		fsys = a.libs
	}
	body, err := fs.ReadFile(fsys, name)
	if name == "index.html" && !lib {
		body, err = s.index, nil
	}
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", contentType(name))
	if !lib && (name == pageFor(Serial) || name == pageFor(SPICE)) {
		w.Header().Set("Content-Security-Policy", inlineStyles(s.host))
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// preloadMarker in index.html is replaced by a modulepreload link for every noVNC module.
const preloadMarker = "<!-- modulepreload -->"

// buildIndex returns index.html with noVNC's modules preloaded: without the links the browser
// finds the ~55 modules level by level, which took ~250 ms of a ~450 ms console start here.
func buildIndex(a *assets) []byte {
	page, err := fs.ReadFile(a.page, "index.html")
	if err != nil || a.err != nil || !bytes.Contains(page, []byte(preloadMarker)) {
		return page
	}
	var links strings.Builder
	_ = fs.WalkDir(a.libs, "novnc", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".js" {
			fmt.Fprintf(&links, "<link rel=\"modulepreload\" href=\"%s\">\n", html.EscapeString(p))
		}
		return nil
	})
	return bytes.Replace(page, []byte(preloadMarker+"\n"), []byte(links.String()), 1)
}

// serveMissing is the page of a build without noVNC: it names the make target.
func (s *Server) serveMissing(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Horcrux console unavailable</title></head>
<body><h1>The console is not part of this build</h1><p id="message">%s.</p>
<p>Developers: run <code>make novnc</code> (it runs <code>cd novncassets &amp;&amp; npm ci --no-audit --no-fund</code>), then rebuild Horcrux.</p></body></html>
`, html.EscapeString(s.cfg.assets.err.Error()))
}

// apiError is the JSON body of a refused API call; the page shows Error.
type apiError struct {
	Error string `json:"error"`
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) apiRefuse(w http.ResponseWriter, r *http.Request, status int, logReason, userText string) {
	s.refusals.warn("console: API call refused", "status", status, "reason", logReason, "path", r.URL.Path, "remote", r.RemoteAddr)
	s.writeJSON(w, status, apiError{Error: userText})
}

// serveAPI handles the page's POST calls; only the page's own origin may make them.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, p string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.apiRefuse(w, r, http.StatusMethodNotAllowed, "method "+r.Method, "use POST")
		return
	}
	if !s.sameOrigin(r) {
		s.apiRefuse(w, r, http.StatusForbidden, "Origin "+strconvQuote(r.Header.Get("Origin"))+" is not "+s.origin,
			"this request did not come from the console page")
		return
	}
	if p == apiOpen {
		s.serveOpen(w, r)
		return
	}
	secret, err := ParseTicket(r.Header.Get(pageHeader))
	if err != nil {
		s.apiRefuse(w, r, http.StatusBadRequest, "page secret: "+err.Error(), "this console page has no valid secret; open the console again from Horcrux")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.pruneGrants(now)
	g := s.grants[keyOf(secret)]
	if g == nil || !equalTickets(g.secret, secret) {
		s.apiRefuse(w, r, http.StatusForbidden, "unknown page secret", "this console page is no longer known to Horcrux; open the console again from Horcrux")
		return
	}
	g.lastSeen = now
	s.lastActivity = time.Now()
	switch p {
	case apiVV:
		vv := g.target.VV
		s.mu.Unlock()
		defer s.mu.Lock()
		if vv == nil {
			s.writeJSON(w, http.StatusNotFound, apiError{Error: "Horcrux cannot make a .vv file for this console"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.DialTimeout)
		defer cancel()
		text, err := vv(ctx)
		if err != nil {
			s.writeJSON(w, http.StatusBadGateway, apiError{Error: err.Error()})
			return
		}
		s.writeJSON(w, http.StatusOK, struct {
			VV string `json:"vv"`
		}{text})
	case apiTicket:
		var req ticketRequest
		if err := decodeBody(w, r, &req); err != nil {
			s.apiRefuse(w, r, http.StatusBadRequest, "ticket request: "+err.Error(), "the console page sent a bad request: "+err.Error())
			return
		}
		g.opts = TextOptions{Cols: req.Cols, Rows: req.Rows, Force: req.Force}
		if g.target.kind() != SPICE {
			req.Channels = 0 // one connection at a time: a newer one replaces the older
		}
		res := struct {
			WS       string   `json:"ws"`
			Channels []string `json:"channels,omitempty"`
		}{}
		paths := s.newWSPathsLocked(now, g, 1+req.Channels)
		res.WS, res.Channels = paths[0], paths[1:]
		s.writeJSON(w, http.StatusOK, res)
	case apiStats:
		st := struct {
			Open     bool   `json:"open"`
			Session  string `json:"session,omitempty"`
			Sessions int    `json:"sessions"`
			FromVM   uint64 `json:"fromVM"`
			ToVM     uint64 `json:"toVM"`
		}{Sessions: len(g.sessions)}
		for _, ss := range g.sessions {
			if !st.Open {
				st.Open, st.Session = true, ss.id
			}
			st.FromVM += ss.fromVM.Load()
			st.ToVM += ss.toVM.Load()
		}
		s.writeJSON(w, http.StatusOK, st)
	}
}

// maxTermSize bounds a terminal size a page may ask for.
const maxTermSize = 1000

// maxChannels bounds the extra WebSocket tickets a SPICE page may hold at once.
const maxChannels = 8

// openRequest is the body of apiOpen: the page ticket and, for text consoles, the terminal size.
type openRequest struct {
	Ticket string `json:"ticket"`
	Cols   int    `json:"cols"`
	Rows   int    `json:"rows"`
}

// ticketRequest is the body of apiTicket: the terminal size, whether to take the console over,
// and how many extra tickets a SPICE page wants for its other channels.
type ticketRequest struct {
	Cols     int  `json:"cols"`
	Rows     int  `json:"rows"`
	Force    bool `json:"force"`
	Channels int  `json:"channels"`
}

// decodeBody reads a small JSON body strictly into v and checks its sizes; an empty body is the zero value.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1024)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("body: %w", err)
		}
	}
	return checkRequest(v)
}

// checkRequest keeps sizes and counts in range.
func checkRequest(v any) error {
	var cols, rows, channels int
	switch req := v.(type) {
	case *openRequest:
		cols, rows = req.Cols, req.Rows
	case *ticketRequest:
		cols, rows, channels = req.Cols, req.Rows, req.Channels
	}
	if cols < 0 || rows < 0 || cols > maxTermSize || rows > maxTermSize {
		return fmt.Errorf("terminal size %dx%d is out of range (0 to %d)", cols, rows, maxTermSize)
	}
	if channels < 0 || channels > maxChannels {
		return fmt.Errorf("%d channels asked for; 0 to %d are allowed", channels, maxChannels)
	}
	return nil
}

// serveOpen redeems a page ticket: the page gets its VM, a WebSocket URL and its page secret.
func (s *Server) serveOpen(w http.ResponseWriter, r *http.Request) {
	var req openRequest
	if err := decodeBody(w, r, &req); err != nil {
		s.apiRefuse(w, r, http.StatusBadRequest, err.Error(), "the console page sent a bad request")
		return
	}
	tk, err := ParseTicket(req.Ticket)
	if err != nil {
		s.apiRefuse(w, r, http.StatusBadRequest, err.Error(), linkText(err, s.cfg.TicketTTL))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	g, err := s.tickets.redeem(now, kindPage, tk)
	if err != nil {
		status := http.StatusGone
		if errors.Is(err, ErrTicketUnknown) {
			status = http.StatusNotFound
		}
		s.apiRefuse(w, r, status, "page ticket: "+err.Error(), linkText(err, s.cfg.TicketTTL))
		return
	}
	s.pruneGrants(now)
	g.secret = newTicket()
	g.lastSeen = now
	g.opts = TextOptions{Cols: req.Cols, Rows: req.Rows}
	s.grants[keyOf(g.secret)] = g
	s.lastActivity = time.Now()
	t := g.target
	s.log.Info("console: page opened", "vm", t.VM, "kind", t.kind(), "page", g.id)
	s.writeJSON(w, http.StatusOK, struct {
		VM     string `json:"vm"`
		UUID   string `json:"uuid"`
		Kind   Kind   `json:"kind"`
		Title  string `json:"title"`
		Device string `json:"device,omitempty"`
		WS     string `json:"ws"`
		Page   string `json:"page"`
	}{t.VM, t.UUID, t.kind(), t.kind().Title(), t.Device, s.newWSPathsLocked(now, g, 1)[0], g.secret.String()})
}

// linkText is what the page says about a refused page link.
func linkText(err error, ttl time.Duration) string {
	switch {
	case errors.Is(err, ErrTicketUsed):
		return "this console link was already used; open the console again from Horcrux"
	case errors.Is(err, ErrTicketExpired):
		return fmt.Sprintf("this console link has expired (a link works for %v); open the console again from Horcrux", ttl)
	case errors.Is(err, ErrTicketMalformed):
		return "this console link is damaged; open the console again from Horcrux"
	default:
		return "this console link is not known to this Horcrux (it may be from an earlier run); open the console again from Horcrux"
	}
}

// newWSPathsLocked mints n WebSocket tickets for g, revoking the ones it held; s.mu is held.
func (s *Server) newWSPathsLocked(now time.Time, g *grant, n int) []string {
	for _, t := range g.ws {
		s.tickets.revoke(t)
	}
	g.ws = g.ws[:0]
	paths := make([]string, n)
	for i := range paths {
		t := s.tickets.mint(now, kindWS, g)
		g.ws = append(g.ws, t)
		paths[i] = wsPath + "?vm=" + url.QueryEscape(g.target.UUID) + "&ticket=" + t.String()
	}
	return paths
}

// parseWSQuery reads the WebSocket URL's query strictly: exactly vm and ticket, once each.
func parseWSQuery(rawQuery string) (uuid string, t Ticket, err error) {
	if len(rawQuery) > 256 {
		return "", Ticket{}, errors.New("query too long")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", Ticket{}, fmt.Errorf("query: %w", err)
	}
	if len(q) != 2 || len(q["vm"]) != 1 || len(q["ticket"]) != 1 {
		return "", Ticket{}, errors.New("query must hold vm and ticket, once each")
	}
	uuid = q.Get("vm")
	if err := checkUUID(uuid); err != nil {
		return "", Ticket{}, fmt.Errorf("query: vm: %w", err)
	}
	t, err = ParseTicket(q.Get("ticket"))
	return uuid, t, err
}

func strconvQuote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return fmt.Sprintf("%q", s)
}
