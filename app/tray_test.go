package app

import (
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/alerts"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestRunningVMsForTheTray(t *testing.T) {
	secs := []model.VMSection{
		{Items: []model.Machine{{Name: "a", UUID: "1", State: model.VMRunning}, {Name: "b", UUID: "2", State: model.VMShutoff}}},
		{Items: []model.Machine{{Name: "c", UUID: "3", State: model.VMRunning}}},
	}
	got := runningVMs(secs)
	want := []trayVM{{host: 0, uuid: "1", name: "a"}, {host: 1, uuid: "3", name: "c"}}
	if !slicesEqual(got, want) {
		t.Fatalf("runningVMs = %+v, want %+v", got, want)
	}
	if slicesEqual(got, want[:1]) {
		t.Fatal("different lists compare equal")
	}
	cts := runningContainers([]model.ContainerSection{{Items: []model.Container{
		{ID: "c1", Name: "web", State: "running"}, {ID: "c2", Name: "old", State: "exited"}}}})
	if len(cts) != 1 || cts[0] != (trayVM{host: 0, uuid: "c1", name: "web"}) {
		t.Fatalf("runningContainers = %+v", cts)
	}
}

func TestBannerText(t *testing.T) {
	since := time.Date(2026, 11, 26, 10, 0, 5, 0, time.UTC)
	got := bannerText([]alerts.Alert{
		{Title: "Host CPU high", Body: "95 % for 30 s", Since: since},
		{Title: "VM web stopped", Body: "nobody asked it to", Since: since},
	})
	if lines := strings.Split(got, "\n"); len(lines) != 2 || lines[0] != "Host CPU high: 95 % for 30 s (since 10:00:05)" {
		t.Fatalf("banner:\n%s", got)
	}
	if bannerText(nil) != "" {
		t.Fatal("a banner with nothing active")
	}
}
