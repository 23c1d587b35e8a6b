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

// tray is the system tray menu: Show/Hide, the running machines, Quit.
type tray struct {
	app     desktop.App
	win     fyne.Window
	shown   bool
	toggle  *fyne.MenuItem
	vms     *fyne.MenuItem
	onQuit  func()
	onVM    func(host int, uuid string)
	current []trayVM
}

// trayVM is one running machine in the tray's submenu.
type trayVM struct {
	host       int
	uuid, name string
}

// newTray installs the tray menu when the app can show one and a session
// bus answers; it returns nil otherwise.
func newTray(a fyne.App, w fyne.Window, onVM func(host int, uuid string), onQuit func()) *tray {
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
	t := &tray{app: desk, win: w, shown: true, onQuit: onQuit, onVM: onVM}
	t.toggle = fyne.NewMenuItem("Hide", t.flip)
	t.vms = fyne.NewMenuItem("Machines", nil)
	t.vms.ChildMenu = fyne.NewMenu("")
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

// setVMs updates the running machines; the menu is rebuilt only on change.
func (t *tray) setVMs(vms []trayVM) {
	if slicesEqual(vms, t.current) {
		return
	}
	t.current = vms
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
	items := make([]*fyne.MenuItem, 0, len(t.current))
	for _, vm := range t.current {
		items = append(items, fyne.NewMenuItem(vm.name, func() { t.onVM(vm.host, vm.uuid) }))
	}
	if len(items) == 0 {
		none := fyne.NewMenuItem("No running machines", nil)
		none.Disabled = true
		items = append(items, none)
	}
	t.vms.ChildMenu.Items = items
	quit := fyne.NewMenuItem("Quit", t.onQuit)
	quit.IsQuit = true
	t.app.SetSystemTrayMenu(fyne.NewMenu("Horcrux", t.toggle, t.vms, fyne.NewMenuItemSeparator(), quit))
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
