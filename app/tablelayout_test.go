package app

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestTableColumnsAreRemembered: a column hidden from the Columns menu and
// one resized by a drag on its header's edge stay so in a new window.
func TestTableColumnsAreRemembered(t *testing.T) {
	v, _, _ := machinesTab(t, 10, fyne.NewSize(1100, 720))
	menu := v.table.columnsMenu()
	for _, it := range menu.Items {
		if it.Label == "State" {
			if !it.Checked {
				t.Fatal("State is not checked in the Columns menu")
			}
			it.Action()
		}
	}
	if v.table.shows("State") || v.table.cols[1].title != "vCPUs" {
		t.Fatalf("State still shown: %v", v.table.cols[1].title)
	}
	// A drag from the Name header's right edge, 110 px to the right, as the
	// window's driver sends it: the header takes the drag.
	name := headerOf(t, v.root, "Name")
	w0 := name.Size().Width
	edge := fyne.NewPos(w0-2, 5)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(name).Add(edge)
	name.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: edge, AbsolutePosition: abs}, Button: desktop.MouseButtonPrimary})
	for _, dx := range []float32{30, 80, 110} {
		name.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: abs.AddXY(dx, 40)}})
	}
	name.DragEnd()
	name.MouseUp(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary})
	if got := headerOf(t, v.root, "Name").Size().Width; got != w0+110 {
		t.Errorf("Name header is %v wide after the drag, want %v", got, w0+110)
	}
	prefs := fyne.CurrentApp().Preferences()
	if got := prefs.String("table.machines.columns"); got != "-State" {
		t.Errorf("columns saved as %q", got)
	}
	if got, want := prefs.String("table.machines.widths"), fmt.Sprintf("Name=%v", w0+110); got != want {
		t.Errorf("widths saved as %q, want %q", got, want)
	}

	// The same preferences, a new tab.
	again := newResourceTab(v.win, testJobs(t), machineKind(machineHooks{hosts: func() []machineActor { return nil }, expect: func(string) {}}), func(string) {})
	if again.table.shows("State") {
		t.Error("a hidden column is shown again in a new tab")
	}
	if w := again.table.layout.widths["Name"]; w != w0+110 {
		t.Errorf("Name is %v wide in a new tab, want %v", w, w0+110)
	}
	v.win.SetContent(again.root)
	if got := headerOf(t, again.root, "Name").Size().Width; got != w0+110 {
		t.Errorf("Name header is %v wide in a new tab, want %v", got, w0+110)
	}
	// Hidden columns still filter.
	v.filter.SetText("state:shutoff")
	if shown, _ := v.table.counts(); shown != 4 {
		t.Errorf("state:shutoff with State hidden shows %d of 10, want 4", shown)
	}
}

func TestParseTableLayout(t *testing.T) {
	l := parseTableLayout("+Ports,-Image,junk,+,-A=B,", "Name=170,CPU=abc,Status=1e9,Memory=-5,=3,Net=NaN")
	if !l.hides("Image", false) || l.hides("Ports", true) || !l.hides("ID", true) || l.hides("Name", false) {
		t.Errorf("visibility %v", l.visible)
	}
	if len(l.visible) != 2 {
		t.Errorf("unreadable parts kept: %v", l.visible)
	}
	want := map[string]float32{"Name": 170, "Status": maxColumnWidth, "Memory": minColumnWidth}
	if len(l.widths) != len(want) {
		t.Fatalf("widths %v, want %v", l.widths, want)
	}
	for k, w := range want {
		if l.widths[k] != w {
			t.Errorf("%s width %v, want %v", k, l.widths[k], w)
		}
	}
	cs, ws := l.format()
	if cs != "-Image,+Ports" || ws != "Memory=20,Name=170,Status=4000" {
		t.Errorf("formatted %q %q", cs, ws)
	}
}

// FuzzParseTableLayout: whatever the preferences file holds, the layout
// read has widths in bounds and reads back as itself once formatted.
func FuzzParseTableLayout(f *testing.F) {
	f.Add("+Ports,-Image", "Name=170,Status=220")
	f.Add(",,+", "=,a=1e40,b=-0,c=0x10")
	f.Fuzz(func(t *testing.T, columns, widths string) {
		l := parseTableLayout(columns, widths)
		for k, w := range l.widths {
			if w < minColumnWidth || w > maxColumnWidth || math.IsNaN(float64(w)) {
				t.Fatalf("width of %q is %v", k, w)
			}
		}
		cs, ws := l.format()
		again := parseTableLayout(cs, ws)
		cs2, ws2 := again.format()
		if cs2 != cs || ws2 != ws {
			t.Fatalf("%q %q read back as %q %q", cs, ws, cs2, ws2)
		}
	})
}

func TestPortsText(t *testing.T) {
	for _, tt := range []struct {
		ports []model.ContainerPort
		want  string
	}{
		{nil, "—"},
		{[]model.ContainerPort{{HostIP: "0.0.0.0", Public: 8080, Private: 80, Proto: "tcp"}, {HostIP: "::", Public: 8080, Private: 80, Proto: "tcp"},
			{Private: 443, Proto: "tcp"}}, "8080->80/tcp, 443/tcp"},
		{[]model.ContainerPort{{HostIP: "127.0.0.1", Public: 9000, Private: 9000, Proto: "udp"}, {HostIP: "::1", Public: 9000, Private: 9000, Proto: "udp"}},
			"127.0.0.1:9000->9000/udp, [::1]:9000->9000/udp"},
	} {
		if got := portsText(tt.ports); got != tt.want {
			t.Errorf("portsText(%v) = %q, want %q", tt.ports, got, tt.want)
		}
	}
}

// TestContainerOptionalColumns: ID, Ports, Command and Health start hidden,
// are offered in the Columns menu and show the container's figures.
func TestContainerOptionalColumns(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	tab := newResourceTab(w, testJobs(t), containerKind(containerHooks{
		hosts: func() []containerEngine { return nil }, expect: func(string) {}, logs: func(containerEngine, string, string) {},
	}), func(string) {})
	w.SetContent(tab.root)
	w.Resize(fyne.NewSize(1440, 900))
	tab.showList(true, "ok", []ctRow{{it: model.Container{ID: strings.Repeat("ab", 32), Name: "web", State: "running",
		Command: "nginx -g 'daemon off;'", Health: "unhealthy", Ports: []model.ContainerPort{{Private: 80, Proto: "tcp"}}}}})
	for _, title := range []string{"Net rx", "Net tx", "Block read", "Block write", "PIDs"} {
		tab.table.setShown(title, false) // room for the others
	}
	for _, title := range []string{"ID", "Ports", "Command", "Health"} {
		if tab.table.shows(title) {
			t.Errorf("%s is shown before it is asked for", title)
		}
		tab.table.setShown(title, true)
	}
	for _, text := range []string{"abababababab", "80/tcp", "nginx -g 'daemon off;'", "unhealthy"} {
		if !drawn(w.Content(), text) {
			t.Errorf("%q not drawn once its column is shown", text)
		}
	}
}
