// Package novncassets holds the VM console page and the pinned noVNC it
// runs on, embedded into the binary.
//
// web/ is our own page (HTML, CSS, an ES module). noVNC comes from npm:
// `cd novncassets && npm ci --no-audit --no-fund` installs the exact
// version in package-lock.json and its postinstall script (install.mjs)
// copies core/, vendor/ and the licence into dist/novnc/. dist/ always
// exists (dist/.gitkeep), so the package compiles without noVNC; Check
// then says which make target fills it.
package novncassets

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// Version is the noVNC release the console page is written for; package-lock.json pins it.
const Version = "1.7.0"

// MakeTarget is the command that installs noVNC into dist/ before building.
const MakeTarget = "make novnc"

// ErrMissing means this binary was built without noVNC; the console page cannot run.
var ErrMissing = errors.New("noVNC " + Version + " is not embedded in this build: run `" + MakeTarget + "` in the Horcrux source tree, then rebuild")

//go:embed web
var web embed.FS

//go:embed all:dist
var dist embed.FS

// Page returns our console page: index.html, console.js and console.css.
func Page() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid literal path
	}
	return sub
}

// NoVNC returns the embedded noVNC package root (core/, vendor/), or an error wrapping ErrMissing.
func NoVNC() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist/novnc")
	if err != nil {
		panic(err)
	}
	if err := check(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// Check reports whether this build embeds noVNC Version; its error names the make target to run.
func Check() error {
	_, err := NoVNC()
	return err
}

// check looks for the module the page imports and for the pinned version.
func check(novnc fs.FS) error {
	if _, err := fs.Stat(novnc, "core/rfb.js"); err != nil {
		return ErrMissing
	}
	raw, err := fs.ReadFile(novnc, "package.json")
	if err != nil {
		return ErrMissing
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != Version {
		return fmt.Errorf("%w (dist/novnc holds version %q)", ErrMissing, pkg.Version)
	}
	return nil
}
