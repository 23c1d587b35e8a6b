package history

import (
	"strconv"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// lastSeen is what AddSnapshot remembers of the previous snapshot to turn
// changes of state into events.
type lastSeen struct {
	vms      map[string]seenVM // by item key
	cts      map[string]seenContainer
	known    map[string]bool // sources (URI, engine address) whose list was seen
	versions model.Versions
	any      bool // a snapshot was seen
}

type seenVM struct {
	m     model.Machine
	where string
}

type seenContainer struct {
	c     model.Container
	where string
}

// AddSnapshot records every measured figure of s (a figure not measured
// leaves a gap) and turns state changes since the previous snapshot into
// events. The collector publishes on every part's change, so each part is
// recorded only when its version moved. Call it in time order.
func (s *Store) AddSnapshot(snap *model.Snapshot) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	prev := s.seen
	if h := &snap.Host; (!prev.any || snap.Versions.Host != prev.versions.Host) && !snap.HostIsLate() && !h.Time.IsZero() {
		s.addHost(h)
	}
	next := lastSeen{vms: prev.vms, cts: prev.cts, versions: snap.Versions, any: true, known: map[string]bool{}}
	for k, v := range prev.known {
		next.known[k] = v
	}
	for _, sec := range snap.VMs {
		next.known["vm "+sec.URI] = prev.known["vm "+sec.URI] || sec.State == model.Up
	}
	for _, sec := range snap.Containers {
		next.known["ct "+sec.Host] = prev.known["ct "+sec.Host] || sec.State == model.Up
	}
	if !prev.any || snap.Versions.VMs != prev.versions.VMs {
		next.vms = s.addVMs(snap.Time, snap.VMs, prev.vms, prev.known)
	}
	if !prev.any || snap.Versions.Containers != prev.versions.Containers {
		next.cts = s.addContainers(snap.Time, snap.Containers, prev.cts, prev.known)
	}
	s.seen = next
}

func (s *Store) addHost(h *model.HostStats) {
	t := h.Time
	s.SeeItem(HostItem, KindHost, h.Hostname, "", t)
	add := func(p model.Part, metric string, v float64) {
		if h.Has(p) {
			s.Add(HostItem, metric, t, v)
		}
	}
	add(model.PartCPU, MetricCPU, h.CPUPercent)
	for i, v := range h.CPUPerCorePercent {
		add(model.PartCPU, MetricCore(i), v)
	}
	add(model.PartMemory, MetricMem, float64(h.MemUsed))
	// The split the live memory chart stacks: used, cache and buffers, free.
	if h.MemTotal > 0 {
		add(model.PartMemory, MetricMemCache, max(0, float64(h.MemTotal)-float64(h.MemUsed)-float64(h.MemFree)))
		add(model.PartMemory, MetricMemFree, float64(h.MemFree))
	}
	add(model.PartSwap, MetricSwap, float64(h.SwapUsed))
	add(model.PartLoad, MetricLoad1, h.Load1)
	add(model.PartLoad, MetricLoad5, h.Load5)
	add(model.PartLoad, MetricLoad15, h.Load15)
	add(model.PartDisk, MetricDiskRead, h.DiskReadBps)
	add(model.PartDisk, MetricDiskWrite, h.DiskWriteBps)
	add(model.PartNet, MetricNetRx, h.NetRxBps)
	add(model.PartNet, MetricNetTx, h.NetTxBps)
}

// addVMs records the VM sections and the lifecycle changes since prev.
// A section that is not up keeps what was known of it, so a libvirt
// restart is not a burst of "undefined" events; the first list of a source
// is news to Horcrux, not changes, and has no events; a VM is undefined
// only when its source is up and lists it no more.
func (s *Store) addVMs(t time.Time, secs []model.VMSection, prev map[string]seenVM, known map[string]bool) map[string]seenVM {
	next := map[string]seenVM{}
	upNow := map[string]bool{}
	for _, sec := range secs {
		events := known["vm "+sec.URI]
		upNow[sec.URI] = sec.State == model.Up
		if sec.State != model.Up {
			continue
		}
		for _, m := range sec.Items {
			key := VMItem(m.UUID)
			next[key] = seenVM{m, sec.URI}
			s.SeeItem(key, KindVM, m.Name, sec.URI, t)
			s.addPtr(key, MetricCPU, t, m.CPUPercent)
			if m.State == model.VMRunning {
				s.Add(key, MetricMem, t, float64(m.MemoryBytes))
			}
			s.addPtr(key, MetricDiskRead, t, m.DiskReadBps)
			s.addPtr(key, MetricDiskWrite, t, m.DiskWriteBps)
			s.addPtr(key, MetricNetRx, t, m.NetRxBps)
			s.addPtr(key, MetricNetTx, t, m.NetTxBps)
			if !events {
				continue
			}
			old, had := prev[key]
			switch {
			case !had:
				s.Record(Event{Time: t, Kind: EventVM, Action: "defined", Item: key, Name: m.Name, Detail: string(m.State)})
			case old.m.State != m.State:
				s.Record(Event{Time: t, Kind: EventVM, Action: vmAction(old.m.State, m.State), Item: key, Name: m.Name,
					Detail: string(old.m.State) + " -> " + string(m.State)})
			}
		}
	}
	for k, v := range prev {
		if !upNow[v.where] { // silent or gone from the list of hosts: keep
			next[k] = v
			continue
		}
		if _, ok := next[k]; !ok && known["vm "+v.where] {
			s.Record(Event{Time: t, Kind: EventVM, Action: "undefined", Item: k, Name: v.m.Name})
		}
	}
	return next
}

// addContainers is addVMs for containers.
func (s *Store) addContainers(t time.Time, secs []model.ContainerSection, prev map[string]seenContainer, known map[string]bool) map[string]seenContainer {
	next := map[string]seenContainer{}
	upNow := map[string]bool{}
	for _, sec := range secs {
		events := known["ct "+sec.Host]
		upNow[sec.Host] = sec.State == model.Up
		if sec.State != model.Up {
			continue
		}
		for _, c := range sec.Items {
			key := ContainerItem(c.ID)
			next[key] = seenContainer{c, sec.Host}
			s.SeeItem(key, KindContainer, c.Name, sec.Host, t)
			s.addPtr(key, MetricCPU, t, c.CPUPercent)
			if c.MemUsageBytes != nil {
				s.Add(key, MetricMem, t, float64(*c.MemUsageBytes))
			}
			s.addPtr(key, MetricDiskRead, t, c.BlockReadBps)
			s.addPtr(key, MetricDiskWrite, t, c.BlockWriteBps)
			s.addPtr(key, MetricNetRx, t, c.NetRxBps)
			s.addPtr(key, MetricNetTx, t, c.NetTxBps)
			if events {
				s.containerEvents(t, key, prev[key].c, c)
			}
		}
	}
	for k, v := range prev {
		if !upNow[v.where] {
			next[k] = v
			continue
		}
		if _, ok := next[k]; !ok && known["ct "+v.where] {
			s.Record(Event{Time: t, Kind: EventContainer, Action: "removed", Item: k, Name: v.c.Name})
		}
	}
	return next
}

func (s *Store) addPtr(item, metric string, t time.Time, v *float64) {
	if v != nil {
		s.Add(item, metric, t, *v)
	}
}

// vmAction names a change of state as libvirt's lifecycle events do.
func vmAction(from, to model.VMState) string {
	switch to {
	case model.VMRunning:
		if from == model.VMPaused {
			return "resumed"
		}
		return "started"
	case model.VMPaused:
		return "paused"
	case model.VMShutoff:
		return "stopped"
	case model.VMCrashed:
		return "crashed"
	case model.VMShutdown:
		return "shutting-down"
	case model.VMPMSuspended:
		return "suspended"
	}
	return string(to)
}

// containerEvents records a container's appearance, start, death (with its
// exit code) or restart by its policy.
func (s *Store) containerEvents(t time.Time, key string, old, c model.Container) {
	ev := func(action, detail string, code *int) {
		s.Record(Event{Time: t, Kind: EventContainer, Action: action, Item: key, Name: c.Name, Detail: detail, ExitCode: code})
	}
	switch {
	case old.ID == "":
		ev("created", c.State, nil)
	case c.RestartCount > old.RestartCount:
		ev("restarted", "restart "+strconv.Itoa(c.RestartCount)+" by the restart policy", nil)
	case old.State != "running" && c.State == "running":
		ev("started", "", nil)
	case old.State == "running" && (c.State == "exited" || c.State == "dead"):
		code := c.ExitCode
		detail := "exit code " + strconv.Itoa(code)
		if code == 137 {
			// 128+SIGKILL: the OOM killer's signature (or docker kill).
			detail += " (killed: out of memory or docker kill)"
		}
		ev("died", detail, &code)
	case old.State != c.State:
		ev(c.State, "", nil)
	}
}
