package app

import (
	"context"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// tray is the system tray menu: Show/Hide, the running machines (a click
// opens the console), the running containers (a click opens a shell), Quit.
type tray struct {
	app     desktop.App
	win     fyne.Window
	shown   bool
	toggle  *fyne.MenuItem
	vms     *fyne.MenuItem
	cts     *fyne.MenuItem
	onQuit  func()
	onVM    func(host int, uuid string)
	onCt    func(host int, id string)
	current []trayVM
	ctNow   []trayVM
}

// trayVM is one running machine or container in a tray submenu.
type trayVM struct {
	host       int
	uuid, name string // UUID or container ID
}

// newTray installs the tray menu when the app can show one and a session
// bus answers; it returns nil otherwise.
func newTray(a fyne.App, w fyne.Window, onVM, onCt func(host int, key string), onQuit func()) *tray {
	desk, ok := a.(desktop.App)
	if !ok {
		return nil
	}
	// Fyne's tray panics on quit without a session bus (fyne#6403).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := doctor.SessionBus(ctx, os.Getenv); err != nil {
		return nil
	}
	t := &tray{app: desk, win: w, shown: true, onQuit: onQuit, onVM: onVM, onCt: onCt}
	t.toggle = fyne.NewMenuItem("Hide", t.flip)
	t.vms = fyne.NewMenuItem("Machines", nil)
	t.vms.ChildMenu = fyne.NewMenu("")
	t.cts = fyne.NewMenuItem("Container shells", nil)
	t.cts.ChildMenu = fyne.NewMenu("")
	t.rebuild()
	return t
}

func (t *tray) flip() {
	if t.shown {
		t.win.Hide()
	} else {
		t.win.Show()
		t.win.RequestFocus()
	}
	t.shown = !t.shown
	t.rebuild()
}

// hidden notes that the window was hidden by closing it.
func (t *tray) hidden() {
	t.shown = false
	t.rebuild()
}

// setVMs updates the running machines and containers; the menu is rebuilt only on change.
func (t *tray) setVMs(vms, cts []trayVM) {
	if slicesEqual(vms, t.current) && slicesEqual(cts, t.ctNow) {
		return
	}
	t.current, t.ctNow = vms, cts
	t.rebuild()
}

func slicesEqual(a, b []trayVM) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (t *tray) rebuild() {
	t.toggle.Label = map[bool]string{true: "Hide", false: "Show"}[t.shown]
	t.vms.ChildMenu.Items = trayItems(t.current, "No running machines", t.onVM)
	t.cts.ChildMenu.Items = trayItems(t.ctNow, "No running containers", t.onCt)
	quit := fyne.NewMenuItem("Quit", t.onQuit)
	quit.IsQuit = true
	t.app.SetSystemTrayMenu(fyne.NewMenu("Horcrux", t.toggle, t.vms, t.cts, fyne.NewMenuItemSeparator(), quit))
}

// trayItems is one submenu: an item per entry, or a disabled line saying there is none.
func trayItems(list []trayVM, none string, open func(host int, key string)) []*fyne.MenuItem {
	items := make([]*fyne.MenuItem, 0, len(list))
	for _, it := range list {
		items = append(items, fyne.NewMenuItem(it.name, func() { open(it.host, it.uuid) }))
	}
	if len(items) == 0 {
		empty := fyne.NewMenuItem(none, nil)
		empty.Disabled = true
		items = append(items, empty)
	}
	return items
}

// runningContainers lists the running containers of every engine for the tray.
func runningContainers(secs []model.ContainerSection) []trayVM {
	var out []trayVM
	for i := range secs {
		for _, c := range secs[i].Items {
			if c.State == "running" {
				out = append(out, trayVM{host: i, uuid: c.ID, name: c.Name})
			}
		}
	}
	return out
}

// runningVMs lists the running machines of every host for the tray.
func runningVMs(secs []model.VMSection) []trayVM {
	var out []trayVM
	for i := range secs {
		for _, m := range secs[i].Items {
			if m.State == model.VMRunning {
				out = append(out, trayVM{host: i, uuid: m.UUID, name: m.Name})
			}
		}
	}
	return out
}
