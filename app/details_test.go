package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// fakeInspector hands out fixed details, or fails.
type fakeInspector struct {
	d   model.VMDetails
	err error
}

func (f fakeInspector) Details(context.Context, string) (model.VMDetails, error) { return f.d, f.err }

func sampleDetails() model.VMDetails {
	return model.VMDetails{
		Name: "hx-details-web", Firmware: "UEFI",
		Disks: []model.VMDisk{
			{Target: "vda", Device: "disk", Bus: "virtio", Source: "/var/lib/libvirt/images/web.qcow2", Format: "qcow2",
				CapacityBytes: 20 << 30, AllocationBytes: 3 << 30},
			{Target: "sda", Device: "cdrom", Bus: "sata", Format: "raw", SizeWhy: "no medium"},
		},
		Interfaces: []model.VMInterface{{MAC: "52:54:00:12:34:56", Type: "network", Source: "default", Model: "virtio"}},
		Graphics:   []string{"VNC on 127.0.0.1:5900"},
		Serials:    []string{"serial 0 (pty /dev/pts/3)"},
		XML:        "<domain type='kvm'>\n  <name>hx-details-web</name>\n</domain>",
	}
}

func sampleFacts() *model.GuestFacts {
	return &model.GuestFacts{
		Time:      time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		Addresses: []model.GuestAddress{{Interface: "eth0", MAC: "52:54:00:12:34:56", Addr: "192.168.122.10", Prefix: 24, Source: model.AddrAgent}},
		OSName:    "Debian GNU/Linux", OSVersion: "12 (bookworm)", Kernel: "6.1.0-27-amd64", Hostname: "web",
		FileSystems: []model.GuestFS{{Mount: "/", Device: "/dev/vda1", Type: "ext4", TotalBytes: 20 << 30, UsedBytes: 15 << 30}},
	}
}

// labelTexts are the texts of every label shown in o.
func labelTexts(o fyne.CanvasObject) string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

func openDetails(t *testing.T, src machineInspector, m model.Machine) (*detailsView, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, container.NewStack())
	v := newDetailsView(w)
	ui := make(chan func(), 1)
	v.uiDo = func(f func()) { ui <- f }
	v.load(testJobs(t), src, m)
	(<-ui)()
	return v, w
}

func TestDetailsViewShowsDevicesAndCopiesXML(t *testing.T) {
	a := test.NewTempApp(t)
	d := sampleDetails()
	v, w := openDetails(t, fakeInspector{d: d}, model.Machine{Name: d.Name, UUID: "u1", State: model.VMRunning, Guest: sampleFacts()})
	test.AssertImageMatches(t, "details_devices.png", w.Canvas().Capture())
	text := labelTexts(w.Content())
	for _, want := range []string{"vda", "/var/lib/libvirt/images/web.qcow2", "qcow2", "20 GiB", "3 GiB",
		"sda (cdrom)", "no medium", "network default", "192.168.122.10/24 (agent)", "VNC on 127.0.0.1:5900",
		"serial 0 (pty /dev/pts/3)", "hx-details-web · firmware UEFI"} {
		if !strings.Contains(text, want) {
			t.Errorf("details lack %q:\n%s", want, text)
		}
	}
	tabs := findTabs(t, w.Content())
	tabs.SelectIndex(1)
	test.AssertImageMatches(t, "details_guest.png", w.Canvas().Capture())
	if text := labelTexts(w.Content()); !strings.Contains(text, "Debian GNU/Linux 12 (bookworm)") || !strings.Contains(text, "15 GiB (75 %)") {
		t.Errorf("guest tab:\n%s", text)
	}
	tabs.SelectIndex(2)
	for _, o := range test.LaidOutObjects(w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Copy" {
			test.Tap(b)
		}
	}
	if got := a.Clipboard().Content(); got != d.XML {
		t.Errorf("clipboard %q, want the domain XML", got)
	}
	_ = v
}

// A guest without an agent says why on the Guest tab and in the addresses.
func TestDetailsViewSaysWhyFactsAreMissing(t *testing.T) {
	test.NewTempApp(t)
	g := &model.GuestFacts{AgentWhy: "no guest agent channel in the domain", AddressesWhy: "no DHCP lease yet"}
	_, w := openDetails(t, fakeInspector{d: sampleDetails()}, model.Machine{Name: "hx-details-web", State: model.VMRunning, Guest: g})
	text := labelTexts(w.Content())
	if !strings.Contains(text, "— (no DHCP lease yet)") {
		t.Errorf("addresses do not say why:\n%s", text)
	}
	findTabs(t, w.Content()).SelectIndex(1)
	if text := labelTexts(w.Content()); !strings.Contains(text, "Unknown: no guest agent channel in the domain") {
		t.Errorf("guest tab does not say why:\n%s", text)
	}
}

func TestDetailsViewShowsTheFailure(t *testing.T) {
	test.NewTempApp(t)
	_, w := openDetails(t, fakeInspector{err: errors.New("libvirt did not answer: context deadline exceeded")}, model.Machine{Name: "hx-details-web"})
	if text := labelTexts(w.Content()); !strings.Contains(text, "Cannot read the details of hx-details-web: libvirt did not answer") {
		t.Errorf("failure not shown:\n%s", text)
	}
}

func findTabs(t *testing.T, o fyne.CanvasObject) *container.AppTabs {
	t.Helper()
	for _, x := range test.LaidOutObjects(o) {
		if tabs, ok := x.(*container.AppTabs); ok {
			return tabs
		}
	}
	t.Fatal("no tabs")
	return nil
}

func TestGuestFSChart(t *testing.T) {
	c := &model.ItemCharts{GuestFS: []model.NamedSeries{{Name: "/", Values: []float64{40, 41}}, {Name: "/var", Values: []float64{90, 91}}}}
	spec := guestFSChart()
	s := spec.series(c)
	if len(s) != 2 || s[0].Name != "/" || s[1].Name != "/var" || s[1].Values[1] != 91 || s[0].Color == s[1].Color {
		t.Errorf("series %+v", s)
	}
	if spec.max(c) != 100 || len(spec.series(&model.ItemCharts{})) != 0 {
		t.Error("scale or empty case")
	}
}
