package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// layoutSnapshot is a snapshot with every tab's content: host charts, 40
// machines on one host, and containers with long names and statuses.
func layoutSnapshot() *model.Snapshot {
	s := manyVMs(40)
	s.VMs[0].URI = "qemu:///system"
	for i := range s.VMs[0].Items {
		m := &s.VMs[0].Items[i]
		m.MemoryBytes, m.VCPUs, m.VNC = uint64(i%4+1)<<30, i%4+1, i%2 == 0
		if i%3 == 0 {
			m.State, m.CPUPercent = model.VMShutoff, nil
		}
	}
	s.VMs[0].Items[1].Name = "a-machine-whose-name-is-longer-than-its-column"
	cts := make([]model.Container, 12)
	for i := range cts {
		cts[i] = model.Container{ID: fmt.Sprintf("%064d", i), Name: fmt.Sprintf("svc-%02d", i), Image: "nginx:1.27-alpine",
			State: "running", Status: "Up 3 hours", CPUPercent: f64(float64(i)), PIDs: new(uint64(i + 1))}
	}
	cts[2].State, cts[2].Status, cts[2].CPUPercent = "exited", "Exited (2) Less than a second ago", nil
	cts[3].Image = "registry.example.com/team/a-very-long-image-name:2026.11.30-build.1234"
	cts[0].Ports = []model.ContainerPort{{HostIP: "0.0.0.0", Public: 8080, Private: 80, Proto: "tcp"}, {Private: 443, Proto: "tcp"}}
	cts[0].Command, cts[0].Health = "nginx -g 'daemon off;'", "healthy"
	cts[1].Command, cts[1].Health = "/docker-entrypoint.sh postgres", "starting"
	s.Containers = []model.ContainerSection{{Host: "unix:///var/run/docker.sock", Engine: "Docker 28.5.2 (API 1.51)",
		Availability: model.Available(), Items: cts}}
	s.Versions.Containers = 1
	return s
}

// withItemCharts is s with a minute of charts for the selected item key.
func withItemCharts(s *model.Snapshot, key string, container bool) *model.Snapshot {
	c := *s
	h := &model.ItemCharts{ID: key, Window: time.Minute, Step: time.Second}
	for i := range 60 {
		v := float64(i % 17)
		h.CPU = append(h.CPU, v*5)
		h.Mem = append(h.Mem, v*(64<<20))
		h.DiskRead, h.DiskWrite = append(h.DiskRead, v*1e6), append(h.DiskWrite, v*2e5)
		h.NetRx, h.NetTx = append(h.NetRx, v*3e5), append(h.NetTx, v*1e5)
	}
	if container {
		c.ContainerCharts = h
		c.Versions.ContainerCharts++
	} else {
		c.VMCharts = h
		c.Versions.VMCharts++
	}
	return &c
}

// layoutSizes are the window sizes layouts must hold at; golden says
// whether images are compared at that size.
var layoutSizes = []struct {
	fyne.Size
	golden bool
}{{fyne.NewSize(800, 600), true}, {fyne.NewSize(1100, 720), false}, {fyne.NewSize(1440, 900), true}, {fyne.NewSize(1920, 1080), false}}

// TestLayoutGoldens draws each tab and Settings at 800x600 and 1440x900
// and compares them with testdata/layout/; it also checks nothing makes
// the window grow, at 1100x720 and 1920x1080 too.
func TestLayoutGoldens(t *testing.T) {
	for _, ls := range layoutSizes {
		size := ls.Size
		w := testWindow(t)
		w.diag.ran = true // no real checks: the tab shows fixed results
		w.diag.show([]doctor.Result{
			{Check: "libvirt connection qemu:///system", Status: doctor.StatusOK, Detail: "connected to libvirt 11.3.0, QEMU 10.0.2: 2 VMs running, 1 shut off"},
			{Check: "Docker engine unix:///var/run/docker.sock", Status: doctor.StatusFailed,
				Detail: "permission denied on /var/run/docker.sock: the Containers tab stays empty",
				Fix:    "sudo usermod -aG docker $USER, then log out and in again (or run `newgrp docker` in this shell)"},
		})
		w.diag.status.SetText("10:00:00: 1 check failed, 0 warnings")
		w.win.Resize(size)
		s := layoutSnapshot()
		for _, tb := range []struct {
			tab  tab
			name string
		}{{tabHost, "host"}, {tabMachines, "machines"}, {tabContainers, "containers"}, {tabDiagnostics, "diagnostics"}} {
			w.tabs.SelectIndex(int(tb.tab))
			w.apply(s)
			// A selected item shows its charts below the list.
			switch tb.tab {
			case tabMachines:
				w.views[tabMachines].(withSessions).view.(*resourceTab[model.VMSection, model.Machine]).selectKey(model.ItemKey(0, "uuid-0004"))
				w.apply(withItemCharts(s, model.ItemKey(0, "uuid-0004"), false))
			case tabContainers:
				w.views[tabContainers].(*resourceTab[model.ContainerSection, model.Container]).selectKey(model.ItemKey(0, s.Containers[0].Items[3].ID))
				w.apply(withItemCharts(s, model.ItemKey(0, s.Containers[0].Items[3].ID), true))
			}
			if got := w.win.Canvas().Size(); got != size {
				t.Errorf("%s at %v: the window grew to %v", tb.name, size, got)
			}
			if min := w.win.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
				t.Errorf("%s at %v needs %v", tb.name, size, min)
			}
			if ls.golden {
				test.AssertImageMatches(t, fmt.Sprintf("layout/%s-%.0fx%.0f.png", tb.name, size.Width, size.Height), w.win.Canvas().Capture())
			}
		}
		// The Host tab's process and filesystem lists, from fixed reads.
		w.tabs.SelectIndex(int(tabHost))
		l := w.host.lists
		l.jobs = nil
		l.showProcesses(fakeProcesses(10), nil)
		l.showFilesystems(fakeFilesystems(), nil)
		for _, sub := range []struct {
			index int
			name  string
		}{{subProcesses, "host-processes"}, {subFilesystems, "host-filesystems"}} {
			l.tabs.SelectIndex(sub.index)
			if min := w.win.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
				t.Errorf("%s at %v needs %v", sub.name, size, min)
			}
			if ls.golden {
				test.AssertImageMatches(t, fmt.Sprintf("layout/%s-%.0fx%.0f.png", sub.name, size.Width, size.Height), w.win.Canvas().Capture())
			}
		}
		l.tabs.SelectIndex(subCharts)

		// Three machines selected and Shut down asking once.
		w.tabs.SelectIndex(int(tabMachines))
		vm := w.vmTab
		vm.table.mods = func() fyne.KeyModifier { return fyne.KeyModifierControl }
		for _, row := range []int{6, 8} {
			vm.table.table.Select(widget.TableCellID{Row: row, Col: 0})
		}
		vm.table.mods = func() fyne.KeyModifier { return 0 }
		for i, a := range vm.actions {
			if a.label == "Shut down" {
				test.Tap(vm.buttons[i])
			}
		}
		if ls.golden {
			test.AssertImageMatches(t, fmt.Sprintf("layout/machines-many-%.0fx%.0f.png", size.Width, size.Height), w.win.Canvas().Capture())
		}
		w.win.Canvas().Overlays().Top().Hide()

		// Containers with the optional columns shown and the rates hidden.
		w.tabs.SelectIndex(int(tabContainers))
		for _, c := range []string{"Net rx", "Net tx", "Block read", "Block write"} {
			w.ctTab.table.setShown(c, false)
		}
		for _, c := range []string{"ID", "Ports", "Command", "Health"} {
			w.ctTab.table.setShown(c, true)
		}
		if ls.golden {
			test.AssertImageMatches(t, fmt.Sprintf("layout/containers-columns-%.0fx%.0f.png", size.Width, size.Height), w.win.Canvas().Capture())
		}

		// A connection problem is a banner with an icon, the reason and Diagnose.
		down := *s
		down.Containers = []model.ContainerSection{{Host: "unix:///var/run/docker.sock",
			Availability: model.Unavailable("Docker is not running at unix:///var/run/docker.sock: the Containers tab is empty; start it with sudo systemctl start docker")}}
		down.Versions.Containers++
		w.tabs.SelectIndex(int(tabContainers))
		w.apply(&down)
		if ls.golden {
			test.AssertImageMatches(t, fmt.Sprintf("layout/containers-down-%.0fx%.0f.png", size.Width, size.Height), w.win.Canvas().Capture())
		}
		w.tabs.SelectIndex(int(tabHost))
		w.settings()
		if got := w.win.Canvas().Size(); got != size {
			t.Errorf("Settings at %v: the window grew to %v", size, got)
		}
		if ls.golden {
			test.AssertImageMatches(t, fmt.Sprintf("layout/settings-%.0fx%.0f.png", size.Width, size.Height), w.win.Canvas().Capture())
		}
	}
}
