package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/horcrux-desktop/horcrux/internal/plural"
	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
)

// Window sizes: the default, and the bounds a saved size is held to. No
// screen is larger than 8K; below 320x240 no tab shows anything.
const (
	defaultWidth, defaultHeight = 1100, 720
	minWidth, minHeight         = 320, 240
	maxWidth, maxHeight         = 7680, 4320
)

// numTabs is how many tabs Run builds (Host, Machines, Containers,
// Diagnostics); a saved tab index must be below it.
const numTabs = 4

// savedPrefs are the preferences Run starts from, each one checked.
type savedPrefs struct {
	size       fyne.Size
	tab        int
	window     time.Duration // the charts' time window
	moreURIs   []string
	moreDocker []string
	thresholds alerts.Thresholds

	resets []string // what could not be used and was reset, one sentence each
	keptAs string   // where the file as it was has been copied; "" if it was not
}

// defaultPrefs are the settings of a first start.
func defaultPrefs() savedPrefs {
	return savedPrefs{
		size:       fyne.NewSize(defaultWidth, defaultHeight),
		window:     windowChoices[0].d,
		thresholds: alerts.DefaultThresholds(),
	}
}

// openPrefs checks the preferences file before Fyne reads it: Fyne ignores a
// file it cannot parse and then overwrites it, and a window size no screen
// can hold stops the app at every start.
func openPrefs() (savedPrefs, error) {
	path := savedhosts.Path(ID)
	p, err := loadPrefs(path, path+".damaged-"+time.Now().Format("20060102-150405"))
	for _, r := range p.resets {
		log.Printf("preferences %s: %s", path, r)
	}
	return p, err
}

// loadPrefs reads and checks the preferences file at path. When anything in
// it had to be reset, the file as it was is first copied to keepAs (or
// keepAs-2 … keepAs-9 if taken), then replaced with the repaired settings.
// The error is non-nil only when the copy could not be made: the file is
// then left untouched, and the caller must not start Fyne on it.
func loadPrefs(path, keepAs string) (savedPrefs, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return defaultPrefs(), nil
	}
	if err != nil {
		p := defaultPrefs()
		p.reset("the preferences file cannot be read (%v): every setting is at its default, "+
			"and changes may not be saved; check the file's owner and permissions", err)
		return p, nil
	}
	p, values := checkPrefs(raw)
	if len(p.resets) == 0 {
		return p, nil
	}
	if len(bytes.TrimSpace(raw)) > 0 { // an empty file holds nothing to keep
		kept, err := keepAside(raw, keepAs)
		if err != nil {
			return p, fmt.Errorf("the preferences file %s holds settings that must be reset, and it could not be copied aside (%w); "+
				"Horcrux stops rather than overwrite it: copy it somewhere safe or free some disk space, then start again", path, err)
		}
		p.keptAs = kept
	}
	if err := writePrefs(path, values); err != nil {
		p.reset("the repaired settings could not be saved (%v): the same resets will be made at the next start", err)
	}
	return p, nil
}

// keepAside writes raw to a new file named base, or base-2 … base-9 when
// that exists, and returns the name used. It never replaces a file.
func keepAside(raw []byte, base string) (string, error) {
	for i := 1; i < 10; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(raw)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name) // a partial copy must not pass for the file
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("%s and %[1]s-2 … %[1]s-9 already exist", base)
}

// writePrefs replaces the file at path with values through a rename, so a
// crash leaves the old file or the new one, never half of one.
func writePrefs(path string, values map[string]any) error {
	b, err := json.Marshal(values)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

func (p *savedPrefs) reset(format string, args ...any) {
	p.resets = append(p.resets, fmt.Sprintf(format, args...))
}

// checkPrefs checks the raw preferences file and returns the settings to
// start from, with a sentence for each value it had to reset, and the values
// to write back when anything was reset: what was sound, clamped or cleaned,
// in a form Fyne's store loads. Keys it does not know are kept, as a newer
// Horcrux may have written them.
func checkPrefs(raw []byte) (savedPrefs, map[string]any) {
	p := defaultPrefs()
	values := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 {
		p.reset("the preferences file is empty (probably cut short while being saved): every setting is at its default")
		return p, values
	}
	pairs, damage := readObject(raw)
	switch {
	case damage != "" && len(pairs) == 0:
		p.reset("the preferences file is %s: every setting is at its default", damage)
	case damage != "":
		p.reset("the preferences file is %s: kept the %s read before the damage, the others are at their defaults",
			damage, plural.Count(len(pairs), "setting"))
	}
	for _, k := range slices.Sorted(maps.Keys(pairs)) {
		rv := pairs[k]
		var v any
		if err := json.Unmarshal(rv, &v); err != nil {
			// Only a number too large for a float64 gets here.
			p.reset("setting %q holds %s, which cannot be read: dropped", k, shown(rv))
			continue
		}
		switch k {
		case prefWidth:
			p.size.Width = p.dimension("window width", rv, v, minWidth, maxWidth, defaultWidth)
			values[k] = float64(p.size.Width)
		case prefHeight:
			p.size.Height = p.dimension("window height", rv, v, minHeight, maxHeight, defaultHeight)
			values[k] = float64(p.size.Height)
		case prefTab:
			if f, ok := v.(float64); ok && f == math.Trunc(f) && f >= 0 && f < numTabs {
				p.tab, values[k] = int(f), v
			} else {
				p.reset("open tab %s does not exist: reset to the first tab", shown(rv))
			}
		case prefRange:
			if d, ok := chartWindow(v); ok {
				p.window, values[k] = d, v
			} else {
				p.reset("chart window %s (seconds) is not one of %s: reset to %s", shown(rv), windowLabels(), windowChoices[0].label)
			}
		case prefKeepInTray:
			if _, ok := v.(bool); ok {
				values[k] = v
			} else {
				p.reset("“keep running in the tray” %s is not true or false: reset to off", shown(rv))
			}
		case prefMoreURIs:
			p.moreURIs = p.hosts("more libvirt hosts", rv, v, badLibvirtURI)
			values[k] = strings.Join(p.moreURIs, "\n")
		case prefMoreDocker:
			p.moreDocker = p.hosts("more container engines", rv, v, badEngineAddress)
			values[k] = strings.Join(p.moreDocker, "\n")
		case prefAlerts:
			s, ok := v.(string)
			if !ok {
				p.reset("alert settings %s are not text: using the defaults", shown(rv))
				continue
			}
			t, err := alerts.DecodeThresholds(s)
			if err != nil {
				p.reset("%v", err)
				continue
			}
			p.thresholds, values[k] = t, v
		default:
			if !fyneCanLoad(v) {
				p.reset("setting %q holds a list of mixed kinds (%s), which Fyne cannot load: dropped", k, shown(rv))
				continue
			}
			values[k] = v
		}
	}
	return p, values
}

// dimension checks a saved window width or height: not a positive number
// gives the default, and one out of bounds is clamped.
func (p *savedPrefs) dimension(name string, raw json.RawMessage, v any, lo, hi, def float32) float32 {
	f, ok := v.(float64)
	switch {
	case !ok || f <= 0:
		p.reset("%s %s is not a size: reset to %g", name, shown(raw), def)
		return def
	case f < float64(lo):
		p.reset("%s %s is too small: set to %g", name, shown(raw), lo)
		return lo
	case f > float64(hi):
		p.reset("%s %s is larger than any screen: clamped to fit", name, shown(raw))
		return hi
	}
	return float32(f)
}

// hosts checks a Settings list of hosts, one per line, and returns the
// usable ones; bad says why a line cannot be used, or "".
func (p *savedPrefs) hosts(name string, raw json.RawMessage, v any, bad func(string) string) []string {
	s, ok := v.(string)
	if !ok {
		p.reset("%s %s are not text: reset to none", name, shown(raw))
		return nil
	}
	var keep []string
	for _, l := range savedhosts.Split(s) {
		if why := bad(l); why != "" {
			p.reset("%s: dropped %s (%s)", name, shownText(l), why)
			continue
		}
		keep = append(keep, l)
	}
	return keep
}

// chartWindow is the chart window a saved number of seconds names, if any.
func chartWindow(v any) (time.Duration, bool) {
	f, ok := v.(float64)
	for _, c := range windowChoices {
		if ok && f == c.d.Seconds() {
			return c.d, true
		}
	}
	return 0, false
}

func windowLabels() string {
	labels := make([]string, len(windowChoices))
	for i, c := range windowChoices {
		labels[i] = c.label
	}
	return strings.Join(labels, ", ")
}

// libvirtAlias is a name from uri_aliases in libvirt.conf, which libvirt
// accepts in place of a URI.
var libvirtAlias = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// badLibvirtURI says why l cannot be a libvirt URI, or "".
func badLibvirtURI(l string) string {
	if why := badText(l); why != "" {
		return why
	}
	if u, err := url.Parse(l); err == nil && u.Scheme != "" || libvirtAlias.MatchString(l) {
		return ""
	}
	return "not a libvirt URI such as qemu+ssh://root@host/system"
}

// badEngineAddress says why l cannot be a Docker or Podman engine address,
// or "".
func badEngineAddress(l string) string {
	if why := badText(l); why != "" {
		return why
	}
	if u, err := url.Parse(l); err == nil && u.Scheme != "" && strings.Contains(l, "://") {
		return ""
	}
	return "not an engine address such as ssh://user@host or tcp://host:2376"
}

// badText says why a line cannot be a host name someone typed: text no
// keyboard gives.
func badText(l string) string {
	switch {
	case !utf8.ValidString(l) || strings.ContainsRune(l, utf8.RuneError):
		return "not valid text"
	case strings.ContainsFunc(l, unicode.IsControl):
		return "it holds control characters"
	case len(l) > 2048:
		return "longer than any address"
	}
	return ""
}

// fyneCanLoad says whether Fyne's store can load v: it converts a list by
// the kind of its first item and panics on an item of another kind.
func fyneCanLoad(v any) bool {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return true
	}
	same := func(f func(any) bool) bool {
		for _, it := range items {
			if !f(it) {
				return false
			}
		}
		return true
	}
	switch items[0].(type) {
	case bool:
		return same(func(x any) bool { _, ok := x.(bool); return ok })
	case float64:
		return same(func(x any) bool { _, ok := x.(float64); return ok })
	case string:
		return same(func(x any) bool { _, ok := x.(string); return ok })
	}
	return true
}

// readObject reads the JSON object in raw pair by pair, so that a file cut
// short or garbled part-way still gives the pairs before the damage. damage
// says what is wrong with the file, "" when nothing is.
func readObject(raw []byte) (pairs map[string]json.RawMessage, damage string) {
	pairs = map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	where := func(err error) string {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Sprintf("cut short at byte %d", len(raw))
		case errors.As(err, &syn):
			return fmt.Sprintf("garbled at byte %d", syn.Offset)
		}
		return fmt.Sprintf("garbled at byte %d", dec.InputOffset())
	}
	tok, err := dec.Token()
	if err != nil {
		return pairs, "not JSON (" + where(err) + ")"
	}
	if tok != json.Delim('{') {
		return pairs, "not a JSON object"
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return pairs, where(err)
		}
		key, _ := tok.(string) // the decoder gives only strings in key position
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return pairs, where(err)
		}
		// A value is kept only when a comma or the closing brace follows:
		// a number cut short ("8" of 800) or garbled ("12" of "12#0") reads
		// as a sound one.
		end := int(dec.InputOffset())
		rest := bytes.TrimLeft(raw[end:], " \t\r\n")
		if len(rest) == 0 {
			return pairs, fmt.Sprintf("cut short at byte %d", len(raw))
		}
		if rest[0] != ',' && rest[0] != '}' {
			return pairs, fmt.Sprintf("garbled at byte %d", len(raw)-len(rest))
		}
		pairs[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return pairs, where(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pairs, fmt.Sprintf("followed by stray data at byte %d", dec.InputOffset())
	}
	return pairs, ""
}

// shown is a stored value as the file has it, shortened for a sentence.
func shown(raw json.RawMessage) string {
	return shorten(strings.Join(strings.Fields(string(raw)), " "))
}

// shownText is a line of text, quoted and shortened for a sentence.
func shownText(s string) string {
	return shorten(fmt.Sprintf("%q", s))
}

func shorten(s string) string {
	const most = 48
	if r := []rune(s); len(r) > most {
		return string(r[:most-1]) + "…"
	}
	return s
}

// windowSize is the saved window size, shrunk to the screen when the
// screen's size is known.
func (p savedPrefs) windowSize(screen fyne.Size, known bool) fyne.Size {
	if !known || screen.Width <= 0 || screen.Height <= 0 {
		return p.size
	}
	return fyne.NewSize(min(p.size.Width, screen.Width), min(p.size.Height, screen.Height))
}

// resetText is the banner's text: what was reset, and where the file as it
// was is kept.
func (p savedPrefs) resetText() string {
	var b strings.Builder
	b.WriteString("Some saved settings could not be used and were reset:")
	for _, r := range p.resets {
		b.WriteString("\n• " + r)
	}
	if p.keptAs != "" {
		b.WriteString("\nThe file as it was is kept as " + p.keptAs + ".")
	}
	return b.String()
}

// resetBanner is a dismissible row saying what was reset at start; it is
// hidden when nothing was.
func (p savedPrefs) resetBanner() *fyne.Container {
	text := widget.NewLabel(p.resetText())
	text.Importance = widget.WarningImportance
	text.Wrapping = fyne.TextWrapWord
	var row *fyne.Container
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		row.Hidden = true
		row.Refresh()
	})
	// The VBox keeps the button its own height beside a tall text.
	row = container.NewBorder(nil, nil, nil, container.NewVBox(dismiss), text)
	row.Hidden = len(p.resets) == 0
	return row
}
