// Package novncassets holds the console pages and the pinned libraries they
// run on, embedded into the binary: noVNC for VNC, xterm.js for serial
// consoles and container shells, spice-html5 for SPICE.
//
// web/ is our own pages (HTML, CSS, ES modules). The libraries come from
// npm: `cd novncassets && npm ci --no-audit --no-fund` installs the exact
// versions in package-lock.json and its postinstall script (install.mjs)
// copies them into dist/NAME/. dist/ always exists (dist/.gitkeep), so the
// package compiles without them; Check then says which make target fills it.
package novncassets

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// Version is the noVNC release the VNC page is written for; package-lock.json pins it.
const Version = "1.7.0"

// MakeTarget is the command that installs the libraries into dist/ before building.
const MakeTarget = "make novnc"

// ErrMissing means this binary was built without the console libraries; the console pages cannot run.
var ErrMissing = errors.New("the console libraries (noVNC " + Version + ", xterm.js, spice-html5) are not embedded in this build: run `" + MakeTarget + "` in the Horcrux source tree, then rebuild")

// Lib is one pinned library under dist/: its directory, the version the pages
// are written for, and a file that must be there.
type Lib struct {
	Dir, Version, Entry string
}

// Libs lists the embedded libraries; the console serves each under its Dir.
func Libs() []Lib {
	return []Lib{
		{"novnc", Version, "core/rfb.js"},
		{"xterm", "6.0.0", "lib/xterm.mjs"},
		{"xterm-fit", "0.11.0", "lib/addon-fit.mjs"},
		{"spice", "0.2.1", "src/main.js"},
	}
}

//go:embed web
var web embed.FS

//go:embed all:dist
var dist embed.FS

// Page returns our console pages: index.html (VNC), term.html (text), spice.html and their scripts and styles.
func Page() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid literal path
	}
	return sub
}

// Dist returns the embedded libraries, one directory per Lib, or an error wrapping ErrMissing.
func Dist() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	if err := check(sub, Libs()); err != nil {
		return nil, err
	}
	return sub, nil
}

// NoVNC returns the embedded noVNC package root (core/, vendor/), or an error wrapping ErrMissing.
func NoVNC() (fs.FS, error) {
	d, err := Dist()
	if err != nil {
		return nil, err
	}
	return fs.Sub(d, "novnc")
}

// Check reports whether this build embeds every library at its pinned version; its error names the make target to run.
func Check() error {
	_, err := Dist()
	return err
}

// check looks for each library's entry module and its pinned version.
func check(dist fs.FS, libs []Lib) error {
	for _, l := range libs {
		if _, err := fs.Stat(dist, path.Join(l.Dir, l.Entry)); err != nil {
			return fmt.Errorf("%w (dist/%s/%s is missing)", ErrMissing, l.Dir, l.Entry)
		}
		raw, err := fs.ReadFile(dist, path.Join(l.Dir, "package.json"))
		if err != nil {
			return fmt.Errorf("%w (dist/%s has no package.json)", ErrMissing, l.Dir)
		}
		var pkg struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != l.Version {
			return fmt.Errorf("%w (dist/%s holds version %q, not %s)", ErrMissing, l.Dir, pkg.Version, l.Version)
		}
	}
	return nil
}
