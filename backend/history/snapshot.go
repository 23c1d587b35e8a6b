package history

import (
	"strconv"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// lastSeen is what AddSnapshot remembers of the previous snapshot to turn
// changes of state into events.
type lastSeen struct {
	vms map[string]model.Machine   // by item key
	cts map[string]model.Container // by item key
}

// AddSnapshot records every measured figure of s (a figure not measured
// leaves a gap) and turns state changes since the previous snapshot into
// events. Call it from one goroutine, in time order.
func (s *Store) AddSnapshot(snap *model.Snapshot) {
	t := snap.Time
	h := &snap.Host
	if !snap.HostIsLate() && !h.Time.IsZero() {
		s.SeeItem(HostItem, KindHost, h.Hostname, "", t)
		add := func(p model.Part, metric string, v float64) {
			if h.Has(p) {
				s.Add(HostItem, metric, t, v)
			}
		}
		add(model.PartCPU, MetricCPU, h.CPUPercent)
		add(model.PartMemory, MetricMem, float64(h.MemUsed))
		add(model.PartSwap, MetricSwap, float64(h.SwapUsed))
		add(model.PartLoad, MetricLoad1, h.Load1)
		add(model.PartLoad, MetricLoad5, h.Load5)
		add(model.PartLoad, MetricLoad15, h.Load15)
		add(model.PartDisk, MetricDiskRead, h.DiskReadBps)
		add(model.PartDisk, MetricDiskWrite, h.DiskWriteBps)
		add(model.PartNet, MetricNetRx, h.NetRxBps)
		add(model.PartNet, MetricNetTx, h.NetTxBps)
	}
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	prev := s.seen
	next := lastSeen{vms: map[string]model.Machine{}, cts: map[string]model.Container{}}
	for _, sec := range snap.VMs {
		if sec.State != model.Up {
			// Withheld list: keep what was known, so a libvirt restart is
			// not a burst of "undefined" events.
			for k, m := range prev.vms {
				next.vms[k] = m
			}
			continue
		}
		for _, m := range sec.Items {
			key := VMItem(m.UUID)
			next.vms[key] = m
			s.SeeItem(key, KindVM, m.Name, sec.URI, t)
			s.addPtr(key, MetricCPU, t, m.CPUPercent)
			if m.State == model.VMRunning {
				s.Add(key, MetricMem, t, float64(m.MemoryBytes))
			}
			s.addPtr(key, MetricDiskRead, t, m.DiskReadBps)
			s.addPtr(key, MetricDiskWrite, t, m.DiskWriteBps)
			s.addPtr(key, MetricNetRx, t, m.NetRxBps)
			s.addPtr(key, MetricNetTx, t, m.NetTxBps)
			if prev.vms != nil {
				old, had := prev.vms[key]
				switch {
				case !had:
					s.Record(Event{Time: t, Kind: EventVM, Action: "defined", Item: key, Name: m.Name, Detail: string(m.State)})
				case old.State != m.State:
					s.Record(Event{Time: t, Kind: EventVM, Action: vmAction(old.State, m.State), Item: key, Name: m.Name, Detail: string(old.State) + " -> " + string(m.State)})
				}
			}
		}
	}
	for _, sec := range snap.Containers {
		if sec.State != model.Up {
			for k, c := range prev.cts {
				next.cts[k] = c
			}
			continue
		}
		for _, c := range sec.Items {
			key := ContainerItem(c.ID)
			next.cts[key] = c
			s.SeeItem(key, KindContainer, c.Name, sec.Host, t)
			s.addPtr(key, MetricCPU, t, c.CPUPercent)
			if c.MemUsageBytes != nil {
				s.Add(key, MetricMem, t, float64(*c.MemUsageBytes))
			}
			s.addPtr(key, MetricDiskRead, t, c.BlockReadBps)
			s.addPtr(key, MetricDiskWrite, t, c.BlockWriteBps)
			s.addPtr(key, MetricNetRx, t, c.NetRxBps)
			s.addPtr(key, MetricNetTx, t, c.NetTxBps)
			if prev.cts != nil {
				s.containerEvents(t, key, prev.cts[key], c)
			}
		}
	}
	if prev.vms != nil {
		for k, m := range prev.vms {
			if _, ok := next.vms[k]; !ok {
				s.Record(Event{Time: t, Kind: EventVM, Action: "undefined", Item: k, Name: m.Name})
			}
		}
		for k, c := range prev.cts {
			if _, ok := next.cts[k]; !ok {
				s.Record(Event{Time: t, Kind: EventContainer, Action: "removed", Item: k, Name: c.Name})
			}
		}
	}
	s.seen = next
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

// containerEvents records a container's start, death (with its exit code),
// restart by its policy, or appearance.
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
		action := "died"
		if code == 137 {
			// 128+SIGKILL: the OOM killer's usual signature when the
			// engine's own oom event was not seen.
			detail += " (killed: out of memory or docker kill)"
		}
		ev(action, detail, &code)
	case old.State != c.State:
		ev(c.State, "", nil)
	}
}
