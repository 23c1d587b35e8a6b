package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/internal/savedhosts"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
)

// soundPrefs is a file as Fyne writes it (keys sorted), with a key from a
// newer Horcrux at the end.
const soundPrefs = `{"alerts.thresholds":"{\"cpu_percent\":80}","charts.window":600,` +
	`"hosts.docker":"ssh://me@b\ntcp://c:2376","hosts.libvirt":"qemu+ssh://root@a/system\ntest:///default",` +
	`"tray.keep":true,"window.height":800,"window.tab":2,"window.width":1200,"zz.future":[1,2]}`

func TestCheckPrefs(t *testing.T) {
	def := defaultPrefs()
	cpu80 := alerts.DefaultThresholds()
	cpu80.CPUPercent = 80
	uris := []string{"qemu+ssh://root@a/system", "test:///default"}
	engines := []string{"ssh://me@b", "tcp://c:2376"}
	// cut is soundPrefs cut short inside window.height, as a crash while
	// saving leaves it: the five settings before it survive.
	cut := soundPrefs[:strings.Index(soundPrefs, `"window.height"`)+18]

	cases := []struct {
		name   string
		raw    string
		want   func(p *savedPrefs) // the settings expected, from the defaults
		resets []string            // a part of each reset, in order
	}{
		{name: "sound file", raw: soundPrefs, want: func(p *savedPrefs) {
			p.size, p.tab, p.window = fyne.NewSize(1200, 800), 2, 10*time.Minute
			p.moreURIs, p.moreDocker, p.thresholds = uris, engines, cpu80
		}},
		{name: "empty object", raw: "{}\n"},
		{name: "empty file", raw: "", resets: []string{"file is empty"}},
		{name: "only blanks", raw: " \n\t", resets: []string{"file is empty"}},
		{name: "garbage", raw: "\x00\xffgarbage{", resets: []string{"not JSON (garbled at byte 1)"}},
		{name: "not an object", raw: `[1,2]`, resets: []string{"not a JSON object"}},
		{name: "null", raw: `null`, resets: []string{"not a JSON object"}},
		{name: "truncated", raw: cut,
			want: func(p *savedPrefs) {
				p.window, p.moreURIs, p.moreDocker, p.thresholds = 10*time.Minute, uris, engines, cpu80
			},
			resets: []string{"cut short at byte " + strconv.Itoa(len(cut)) + ": kept the 5 settings"}},
		{name: "cut after the brace", raw: `{`, resets: []string{"cut short at byte 1: every setting"}},
		{name: "garbled part-way", raw: `{"window.tab":1,"window.width":12#0}`,
			want:   func(p *savedPrefs) { p.tab = 1 },
			resets: []string{"garbled at byte 33: kept the 1 setting"}},
		{name: "stray data after the end", raw: `{"window.tab":1} {"window.tab":2}`,
			want:   func(p *savedPrefs) { p.tab = 1 },
			resets: []string{"followed by stray data"}},
		{name: "height 1e30", raw: `{"window.height":1e30}`,
			want:   func(p *savedPrefs) { p.size.Height = maxHeight },
			resets: []string{"window height 1e30 is larger than any screen"}},
		{name: "100000x100000", raw: `{"window.height":100000,"window.width":100000}`,
			want: func(p *savedPrefs) { p.size = fyne.NewSize(maxWidth, maxHeight) },
			resets: []string{"window height 100000 is larger than any screen",
				"window width 100000 is larger than any screen"}},
		{name: "negative width", raw: `{"window.width":-5}`,
			resets: []string{"window width -5 is not a size: reset to 1100"}},
		{name: "zero height", raw: `{"window.height":0}`,
			resets: []string{"window height 0 is not a size: reset to 720"}},
		{name: "NaN as a string", raw: `{"window.width":"NaN","window.height":"+Inf"}`,
			resets: []string{`window height "+Inf" is not a size`, `window width "NaN" is not a size`}},
		{name: "number beyond float64", raw: `{"window.width":1e400}`,
			resets: []string{`setting "window.width" holds 1e400, which cannot be read`}},
		{name: "size as text", raw: `{"window.width":"1200"}`,
			resets: []string{`window width "1200" is not a size`}},
		{name: "tiny window", raw: `{"window.width":10,"window.height":1e-300}`,
			want: func(p *savedPrefs) { p.size = fyne.NewSize(minWidth, minHeight) },
			resets: []string{"window height 1e-300 is too small: set to 240",
				"window width 10 is too small: set to 320"}},
		{name: "tab out of range", raw: `{"window.tab":4}`,
			resets: []string{"open tab 4 does not exist"}},
		{name: "negative tab", raw: `{"window.tab":-1}`, resets: []string{"open tab -1"}},
		{name: "fractional tab", raw: `{"window.tab":1.5}`, resets: []string{"open tab 1.5"}},
		{name: "tab as text", raw: `{"window.tab":"2"}`, resets: []string{`open tab "2"`}},
		{name: "last tab", raw: `{"window.tab":3}`, want: func(p *savedPrefs) { p.tab = 3 }},
		{name: "an hour of charts", raw: `{"charts.window":3600}`, want: func(p *savedPrefs) { p.window = time.Hour }},
		{name: "chart range not offered", raw: `{"charts.window":7}`,
			resets: []string{"chart window 7 (seconds) is not one of 1 min, 10 min, 1 h, 24 h, 7 d, 30 d, 1 y: reset to 1 min"}},
		{name: "chart range as text", raw: `{"charts.window":"600"}`, resets: []string{`chart window "600"`}},
		{name: "tray as text", raw: `{"tray.keep":"yes"}`, resets: []string{`tray” "yes" is not true or false`}},
		{name: "bad hosts lines",
			raw: `{"hosts.docker":"myhost:2375\ntcp://c:2376\n\n tcp://c:2376 ",` +
				`"hosts.libvirt":"qemu:///system\nnot a uri\nbell\u0007\nlocalhost-alias\n\ufffd"}`,
			want: func(p *savedPrefs) {
				p.moreDocker, p.moreURIs = []string{"tcp://c:2376"}, []string{"qemu:///system", "localhost-alias"}
			},
			resets: []string{`more container engines: dropped "myhost:2375" (not an engine address`,
				`more libvirt hosts: dropped "not a uri" (not a libvirt URI`,
				`dropped "bell\a" (it holds control characters)`,
				"dropped \"\ufffd\" (not valid text)"}},
		{name: "invalid UTF-8 in hosts", raw: "{\"hosts.libvirt\":\"qemu:///system\xff\"}",
			resets: []string{"not valid text"}},
		{name: "hosts not text", raw: `{"hosts.libvirt":42,"hosts.docker":["a"]}`,
			resets: []string{`more container engines ["a"] are not text`, "more libvirt hosts 42 are not text"}},
		{name: "unreadable alert thresholds", raw: `{"alerts.thresholds":"{\"cpu_percent\":"}`,
			resets: []string{"alert settings are unreadable"}},
		{name: "alert thresholds out of range", raw: `{"alerts.thresholds":"{\"cpu_percent\":500}"}`,
			resets: []string{"alert settings are out of range"}},
		{name: "alert thresholds not text", raw: `{"alerts.thresholds":{"cpu_percent":80}}`,
			resets: []string{`alert settings {"cpu_percent":80} are not text`}},
		{name: "list Fyne would panic on", raw: `{"other":[1,"a"],"fine":[true,false]}`,
			resets: []string{`setting "other" holds a list of mixed kinds ([1,"a"])`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, values := checkPrefs([]byte(c.raw))
			want := defaultPrefs()
			if c.want != nil {
				c.want(&want)
			}
			want.resets = got.resets
			if !samePrefs(got, want) {
				t.Errorf("settings\n got %+v\nwant %+v", got, want)
			}
			if len(got.resets) != len(c.resets) {
				t.Fatalf("resets %q, want %d like %q", got.resets, len(c.resets), c.resets)
			}
			for i, r := range got.resets {
				if !strings.Contains(r, c.resets[i]) {
					t.Errorf("reset %d is %q, want it to say %q", i, r, c.resets[i])
				}
			}
			repaired := loadableByFyne(t, values)
			again, _ := checkPrefs(repaired)
			if len(again.resets) != 0 || !samePrefs(again, got) {
				t.Errorf("the repaired file %s reads as %+v, want %+v with no resets", repaired, again, got)
			}
		})
	}
	if def.window != time.Minute || def.size != fyne.NewSize(1100, 720) || def.tab != 0 {
		t.Errorf("defaults %+v", def)
	}
}

func TestCheckPrefsKeepsUnknownKeys(t *testing.T) {
	_, values := checkPrefs([]byte(soundPrefs))
	var in map[string]any
	if err := json.Unmarshal([]byte(soundPrefs), &in); err != nil {
		t.Fatal(err)
	}
	if len(values) != len(in) || values["zz.future"] == nil {
		t.Fatalf("values to write back %v, want all of %v", values, in)
	}
}

func FuzzCheckPrefs(f *testing.F) {
	for _, s := range []string{soundPrefs, "", "{", `{"window.height":1e30}`, `{"x":[1,"a"]}`, `[]`,
		`{"hosts.libvirt":"a\nb c\n\u0001"}`, `{"window.tab":3.0000001}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, values := checkPrefs(raw)
		if p.size.Width < minWidth || p.size.Width > maxWidth || p.size.Height < minHeight || p.size.Height > maxHeight {
			t.Fatalf("size %v out of bounds", p.size)
		}
		if _, ok := chartWindow(p.window.Seconds()); !ok || p.tab < 0 || p.tab >= numTabs {
			t.Fatalf("window %s, tab %d", p.window, p.tab)
		}
		if p.thresholds.Validate() != nil {
			t.Fatalf("thresholds %+v", p.thresholds)
		}
		again, _ := checkPrefs(loadableByFyne(t, values))
		if len(again.resets) != 0 || !samePrefs(again, p) {
			t.Fatalf("the repaired file reads as %+v (resets %q), want %+v", again, again.resets, p)
		}
	})
}

func TestLoadPrefsKeepsTheDamagedFileAsideFirst(t *testing.T) {
	for _, raw := range []string{"\x00garbage", soundPrefs[:100], `{"window.height":1e30,"hosts.libvirt":"qemu+ssh://a/system"}`} {
		dir := t.TempDir()
		path := filepath.Join(dir, "preferences.json")
		writeFile(t, path, raw)
		keepAs := path + ".damaged-x"
		p, err := loadPrefs(path, keepAs)
		if err != nil {
			t.Fatal(err)
		}
		if p.keptAs != keepAs || readFile(t, keepAs) != raw {
			t.Fatalf("%q: kept as %q, holding %q", raw, p.keptAs, readFile(t, keepAs))
		}
		if !strings.Contains(p.resetText(), "The file as it was is kept as "+keepAs) {
			t.Errorf("the banner does not say where the file is:\n%s", p.resetText())
		}
		// The file is repaired: the next start finds nothing to reset and
		// keeps nothing more aside.
		again, err := loadPrefs(path, path+".damaged-y")
		if err != nil || len(again.resets) != 0 || again.keptAs != "" {
			t.Fatalf("%q: the next start: %v, resets %q, kept as %q", raw, err, again.resets, again.keptAs)
		}
		if !slices.Equal(again.moreURIs, p.moreURIs) {
			t.Errorf("hosts %q after the repair, want %q", again.moreURIs, p.moreURIs)
		}
	}
}

func TestLoadPrefsLeavesTheFileWhenItCannotKeepItAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preferences.json")
	writeFile(t, path, "garbage")
	_, err := loadPrefs(path, filepath.Join(dir, "missing-dir", "preferences.json.damaged"))
	if err == nil || !strings.Contains(err.Error(), "could not be copied aside") {
		t.Fatalf("err = %v", err)
	}
	if got := readFile(t, path); got != "garbage" {
		t.Fatalf("the file now holds %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left behind: %v", entries)
	}
}

func TestLoadPrefsNeverReplacesAKeptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preferences.json")
	writeFile(t, path, "garbage")
	keepAs := path + ".damaged-x"
	writeFile(t, keepAs, "an older copy")
	p, err := loadPrefs(path, keepAs)
	if err != nil || p.keptAs != keepAs+"-2" || readFile(t, keepAs+"-2") != "garbage" {
		t.Fatalf("err %v, kept as %q", err, p.keptAs)
	}
	if readFile(t, keepAs) != "an older copy" {
		t.Fatal("an older copy was replaced")
	}
}

func TestLoadPrefsSoundMissingAndEmpty(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preferences.json")
	p, err := loadPrefs(path, path+".damaged")
	if err != nil || len(p.resets) != 0 || !samePrefs(p, defaultPrefs()) {
		t.Fatalf("missing file: %v, %+v", err, p)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a missing file was created")
	}

	writeFile(t, path, soundPrefs)
	if p, err := loadPrefs(path, path+".damaged"); err != nil || len(p.resets) != 0 || p.tab != 2 {
		t.Fatalf("sound file: %v, %+v", err, p)
	}
	if readFile(t, path) != soundPrefs {
		t.Fatal("a sound file was rewritten")
	}

	writeFile(t, path, "")
	p, err = loadPrefs(path, path+".damaged")
	if err != nil || len(p.resets) != 1 || p.keptAs != "" {
		t.Fatalf("empty file: %v, %+v", err, p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || readFile(t, path) != "{}\n" {
		t.Fatalf("empty file: %v, now %q", entries, readFile(t, path))
	}
}

func TestPrefsPathIsWhereFyneLooks(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if got, want := savedhosts.Path(ID), filepath.Join(dir, "fyne", ID, "preferences.json"); got != want {
		t.Fatalf("savedhosts.Path(ID) = %q, want %q", got, want)
	}
}

func TestWindowSizeFitsTheScreen(t *testing.T) {
	p := defaultPrefs()
	p.size = fyne.NewSize(maxWidth, 700)
	for _, c := range []struct {
		screen fyne.Size
		known  bool
		want   fyne.Size
	}{
		{fyne.NewSize(1440, 900), true, fyne.NewSize(1440, 700)},
		{fyne.NewSize(1440, 900), false, fyne.NewSize(maxWidth, 700)},
		{fyne.Size{}, true, fyne.NewSize(maxWidth, 700)},
	} {
		if got := p.windowSize(c.screen, c.known); got != c.want {
			t.Errorf("windowSize(%v, %v) = %v, want %v", c.screen, c.known, got, c.want)
		}
	}
}

func TestResetBannerSaysWhatAndDismisses(t *testing.T) {
	test.NewTempApp(t)
	p, _ := checkPrefs([]byte(`{"window.tab":9}`))
	p.keptAs = "/x/preferences.json.damaged-1"
	banner := p.resetBanner()
	w := test.NewWindow(container.NewVBox(banner, widget.NewLabel("tabs")))
	defer w.Close()
	w.Resize(fyne.NewSize(600, 300))
	if !banner.Visible() {
		t.Fatal("the banner is hidden")
	}
	var text string
	var dismiss *widget.Button
	for _, o := range banner.Objects {
		switch o := o.(type) {
		case *widget.Label:
			text = o.Text
		case *fyne.Container:
			dismiss = o.Objects[0].(*widget.Button)
		}
	}
	for _, want := range []string{"open tab 9 does not exist", "kept as /x/preferences.json.damaged-1"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner %q does not say %q", text, want)
		}
	}
	test.Tap(dismiss)
	if banner.Visible() {
		t.Fatal("the banner stays after Dismiss")
	}
	if defaultPrefs().resetBanner().Visible() {
		t.Fatal("a banner with nothing reset")
	}
}

// samePrefs compares the settings, not the resets.
func samePrefs(a, b savedPrefs) bool {
	return a.size == b.size && a.tab == b.tab && a.window == b.window && a.thresholds == b.thresholds &&
		slices.Equal(a.moreURIs, b.moreURIs) && slices.Equal(a.moreDocker, b.moreDocker)
}

// loadableByFyne encodes the values to write back and checks that Fyne's
// store would load them as it does (one JSON object, lists of one kind).
func loadableByFyne(t *testing.T, values map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(values)
	if err != nil {
		t.Fatalf("values to write back %v: %v", values, err)
	}
	var loaded map[string]any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&loaded); err != nil {
		t.Fatalf("Fyne cannot load %s: %v", b, err)
	}
	for k, v := range loaded {
		if !fyneCanLoad(v) {
			t.Fatalf("Fyne would panic on %q: %v", k, v)
		}
	}
	return b
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
