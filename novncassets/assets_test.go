package novncassets

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPage(t *testing.T) {
	page := Page()
	for _, name := range []string{"index.html", "console.js", "console.css", "favicon.svg"} {
		if _, err := fs.Stat(page, name); err != nil {
			t.Errorf("page file %s: %v", name, err)
		}
	}
	html, err := fs.ReadFile(page, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	// The CSP allows no inline script or style.
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload="} {
		if strings.Contains(string(html), bad) {
			t.Errorf("index.html holds %q, which the CSP refuses", bad)
		}
	}
	js, err := fs.ReadFile(page, "console.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), "import('./novnc/core/rfb.js')") {
		t.Error("console.js does not import noVNC by relative path")
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fsys  fstest.MapFS
		valid bool
	}{
		{"empty", fstest.MapFS{}, false},
		{"no package.json", fstest.MapFS{"novnc/core/rfb.js": {}}, false},
		{"other version", fstest.MapFS{"novnc/core/rfb.js": {}, "novnc/package.json": {Data: []byte(`{"version":"1.6.0"}`)}}, false},
		{"pinned", fstest.MapFS{"novnc/core/rfb.js": {}, "novnc/package.json": {Data: []byte(`{"version":"` + Version + `"}`)}}, true},
	} {
		err := check(tc.fsys, Libs()[:1])
		if tc.valid != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && (!errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "make novnc")) {
			t.Errorf("%s: error %q does not name make novnc", tc.name, err)
		}
	}
}

// TestEmbeddedNoVNC needs `make novnc` before the build; integration runs fail without it.
func TestEmbeddedNoVNC(t *testing.T) {
	novnc, err := NoVNC()
	if err != nil {
		if os.Getenv("HORCRUX_INTEGRATION") == "1" {
			t.Fatalf("run make novnc: %v", err)
		}
		t.Skipf("noVNC not embedded (run make novnc): %v", err)
	}
	for _, name := range []string{"core/rfb.js", "core/input/keysym.js", "core/input/keysymdef.js", "vendor/pako/lib/zlib/inflate.js", "LICENSE.txt"} {
		if _, err := fs.Stat(novnc, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	dist, err := Dist()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"xterm/lib/xterm.mjs", "xterm/css/xterm.css", "xterm/LICENSE", "xterm-fit/lib/addon-fit.mjs",
		"spice/src/main.js", "spice/src/thirdparty/rsa.js", "spice/COPYING.LESSER"} {
		if _, err := fs.Stat(dist, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
