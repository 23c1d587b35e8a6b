package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/widgets"
)

// machineInspector reads one machine's details; a registry.MachineHost is one.
type machineInspector interface {
	Details(ctx context.Context, uuid string) (model.VMDetails, error)
}

// detailsTimeout bounds the read behind the details window: the XML and
// one block info per disk.
const detailsTimeout = 15 * time.Second

// detailsView is the window showing one machine's devices, guest facts and
// domain XML, read once when it opens.
type detailsView struct {
	win     fyne.Window
	status  *widget.Label
	body    *fyne.Container
	xml     string           // what Copy puts on the clipboard
	details *model.VMDetails // what is shown, nil until read
	uiDo    func(func())
}

// showDetails opens the details window of m and reads its details off the
// UI goroutine.
func showDetails(a fyne.App, j *jobs, src machineInspector, m model.Machine) *detailsView {
	v := newDetailsView(a.NewWindow("Details: " + m.Name))
	v.load(j, src, m)
	v.win.Show()
	return v
}

func newDetailsView(w fyne.Window) *detailsView {
	v := &detailsView{win: w, status: widget.NewLabel("Reading the machine's details…"), body: container.NewStack(), uiDo: fyne.Do}
	v.status.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewBorder(v.status, nil, nil, nil, v.body))
	w.Resize(fyne.NewSize(820, 560))
	return v
}

// load reads the details in a job and shows them, or why they cannot be read.
func (v *detailsView) load(j *jobs, src machineInspector, m model.Machine) {
	j.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, detailsTimeout)
		defer cancel()
		d, err := src.Details(ctx, m.UUID)
		v.uiDo(func() {
			if err != nil {
				v.status.SetText(fmt.Sprintf("Cannot read the details of %s: %v. Check that libvirt answers (Diagnostics tab) and open Details again.", m.Name, err))
				return
			}
			v.show(d, m.Guest)
		})
	})
}

// show fills the window; it runs on the UI goroutine.
func (v *detailsView) show(d model.VMDetails, g *model.GuestFacts) {
	v.status.SetText(fmt.Sprintf("%s · firmware %s", d.Name, d.Firmware))
	v.xml, v.details = d.XML, &d
	xml := widget.NewLabelWithStyle(d.XML, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	copyXML := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { fyne.CurrentApp().Clipboard().SetContent(v.xml) })
	tabs := container.NewAppTabs(
		container.NewTabItem("Devices", container.NewVScroll(devicesBox(d, g))),
		container.NewTabItem("Guest", container.NewVScroll(guestBox(g))),
		container.NewTabItem("XML", container.NewBorder(container.NewHBox(copyXML, widget.NewLabel("read-only")), nil, nil, nil,
			container.NewScroll(xml))),
	)
	v.body = container.NewStack(tabs)
	v.win.SetContent(container.NewBorder(v.status, nil, nil, nil, v.body))
}

// heading is a bold section title.
func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// grid lays rows of cells out under a bold header row.
func grid(header []string, rows [][]string) fyne.CanvasObject {
	g := container.NewGridWithColumns(len(header))
	for _, h := range header {
		g.Add(widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	for _, r := range rows {
		for _, c := range r {
			l := widget.NewLabel(c)
			l.Truncation = fyne.TextTruncateEllipsis
			g.Add(l)
		}
	}
	return g
}

// devicesBox lists disks, interfaces (with the guest's addresses), graphics
// and serial devices.
func devicesBox(d model.VMDetails, g *model.GuestFacts) fyne.CanvasObject {
	box := container.NewVBox(heading("Disks"))
	if len(d.Disks) == 0 {
		box.Add(widget.NewLabel("No disks."))
	} else {
		box.Add(grid([]string{"Target", "Source", "Format", "Capacity", "Allocation"}, diskRows(d.Disks)))
	}
	box.Add(heading("Network interfaces"))
	if len(d.Interfaces) == 0 {
		box.Add(widget.NewLabel("No network interfaces."))
	} else {
		box.Add(grid([]string{"MAC", "Network or bridge", "Model", "Addresses"}, interfaceRows(d.Interfaces, g)))
	}
	box.Add(heading("Graphics and serial"))
	devs := append(append([]string{}, d.Graphics...), d.Serials...)
	if len(devs) == 0 {
		devs = []string{"None: no console can be opened."}
	}
	box.Add(widget.NewLabel(strings.Join(devs, "\n")))
	return box
}

// diskRows are the disks' cells; a disk without sizes says why.
func diskRows(disks []model.VMDisk) [][]string {
	rows := make([][]string, 0, len(disks))
	for _, k := range disks {
		target := k.Target
		if k.Device != "" && k.Device != "disk" {
			target += " (" + k.Device + ")"
		}
		src := k.Source
		if src == "" {
			src = "—"
		}
		capacity, alloc := size(float64(k.CapacityBytes)), size(float64(k.AllocationBytes))
		if k.SizeWhy != "" {
			capacity, alloc = k.SizeWhy, "—"
		}
		rows = append(rows, []string{target, src, orDash(k.Format), capacity, alloc})
	}
	return rows
}

// interfaceRows are the interfaces' cells with the addresses the guest
// facts give for each MAC, and where each came from.
func interfaceRows(ifs []model.VMInterface, g *model.GuestFacts) [][]string {
	rows := make([][]string, 0, len(ifs))
	for _, i := range ifs {
		where := i.Type
		if i.Source != "" {
			where += " " + i.Source
		}
		rows = append(rows, []string{i.MAC, orDash(where), orDash(i.Model), addressesOf(i.MAC, g)})
	}
	return rows
}

// addressesOf lists a MAC's addresses with their source, or why there are none.
func addressesOf(mac string, g *model.GuestFacts) string {
	if g == nil {
		return "— (the machine is not running)"
	}
	var out []string
	for _, a := range g.Addresses {
		if strings.EqualFold(a.MAC, mac) {
			out = append(out, fmt.Sprintf("%s/%d (%s)", a.Addr, a.Prefix, a.Source))
		}
	}
	if len(out) == 0 {
		if g.AddressesWhy != "" {
			return "— (" + g.AddressesWhy + ")"
		}
		return "—"
	}
	return strings.Join(out, ", ")
}

// guestBox shows what the guest says about itself, or why it says nothing.
func guestBox(g *model.GuestFacts) fyne.CanvasObject {
	if g == nil {
		return widget.NewLabel("No guest facts: the machine is not running, or its facts are not read yet.")
	}
	why := func(s string) string {
		if g.AgentWhy != "" {
			return "unknown: " + g.AgentWhy
		}
		if s == "" {
			return "—"
		}
		return s
	}
	osName := strings.TrimSpace(g.OSName + " " + g.OSVersion)
	form := widget.NewForm(
		widget.NewFormItem("Operating system", wrapped(why(osName))),
		widget.NewFormItem("Kernel", wrapped(why(g.Kernel))),
		widget.NewFormItem("Hostname", wrapped(why(g.Hostname))),
		widget.NewFormItem("Read at", widget.NewLabel(g.Time.Format(time.DateTime))),
	)
	box := container.NewVBox(form, heading("Filesystems"))
	switch {
	case g.AgentWhy != "":
		box.Add(wrapped("Unknown: " + g.AgentWhy))
	case len(g.FileSystems) == 0:
		box.Add(widget.NewLabel("The guest agent lists no filesystem with a size."))
	default:
		rows := make([][]string, 0, len(g.FileSystems))
		for _, f := range g.FileSystems {
			rows = append(rows, []string{f.Mount, f.Device, f.Type, size(float64(f.TotalBytes)),
				fmt.Sprintf("%s (%.0f %%)", size(float64(f.UsedBytes)), f.UsedPercent())})
		}
		box.Add(grid([]string{"Mount", "Device", "Type", "Size", "Used"}, rows))
	}
	return box
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// windowActions are the Machines tab's Details and Snapshots buttons, for
// any machine: they open a window that reads what it shows.
func windowActions(h machineHooks) []action[vmRow] {
	var acts []action[vmRow]
	open := func(label string, icon fyne.Resource, f func(int, model.Machine)) {
		if f == nil {
			return
		}
		acts = append(acts, oneAtATime(lifecycle(label, icon, "", func(*vmRow) bool { return true },
			func(_ context.Context, r *vmRow) error {
				fyne.Do(func() { f(r.host, r.it) })
				return nil
			})))
	}
	open("Details", theme.InfoIcon(), h.details)
	open("Snapshots", theme.HistoryIcon(), h.snapshots)
	return acts
}

// guestFSChart is each guest filesystem's use, one line per mount point;
// empty for a VM whose agent does not answer (its details say why).
func guestFSChart() chartSpec {
	return chartSpec{title: "Guest filesystems (% used)", unit: widgets.UnitPercent,
		series: func(c *model.ItemCharts) []widgets.Series {
			out := make([]widgets.Series, len(c.GuestFS))
			for i, f := range c.GuestFS {
				out[i] = widgets.Series{Name: f.Name, Values: f.Values, Color: colorOf(i)}
			}
			return out
		},
		max: func(*model.ItemCharts) float64 { return 100 }}
}
