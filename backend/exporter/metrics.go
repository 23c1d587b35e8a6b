package exporter

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// descs are the metric descriptions. They are built per Exporter rather
// than kept in package variables, and never change after New.
type descs struct {
	all []*prometheus.Desc

	hostSampleTime                           *prometheus.Desc
	hostCPU, hostCore                        *prometheus.Desc
	hostMemTotal, hostMemUsed, hostMemAvail  *prometheus.Desc
	hostSwapTotal, hostSwapUsed              *prometheus.Desc
	hostLoad1, hostLoad5, hostLoad15         *prometheus.Desc
	hostDiskRead, hostDiskWrite              *prometheus.Desc
	hostNetRx, hostNetTx                     *prometheus.Desc
	hostUptime                               *prometheus.Desc
	vmsUp, vmInfo, vmRunning, vmVCPUs, vmMem *prometheus.Desc
	vmFigures                                []figure[model.Machine]
	vmFSSize, vmFSUsed                       *prometheus.Desc
	ctsUp, ctInfo, ctRunning                 *prometheus.Desc
	ctFigures                                []figure[model.Container]
	ctRestarts, ctExitCode                   *prometheus.Desc
}

// figure is one optional per-item metric: emitted only when measured.
type figure[T any] struct {
	desc  *prometheus.Desc
	value func(*T) (float64, bool)
}

// measured reads an optional figure.
func measured[T any, N float64 | uint64](get func(*T) *N) func(*T) (float64, bool) {
	return func(it *T) (float64, bool) {
		if p := get(it); p != nil {
			return float64(*p), true
		}
		return 0, false
	}
}

func newDescs() *descs {
	d := &descs{}
	mk := func(name, help string, labels ...string) *prometheus.Desc {
		x := prometheus.NewDesc("horcrux_"+name, help, labels, nil)
		d.all = append(d.all, x)
		return x
	}
	d.hostSampleTime = mk("host_sample_timestamp_seconds", "When the host figures were measured, in seconds since the Unix epoch; compare with time() to see stale figures.")
	d.hostCPU = mk("host_cpu_percent", "Host CPU busy over the last interval, in percent of all cores (0-100).")
	d.hostCore = mk("host_cpu_core_percent", "CPU busy of one core over the last interval, in percent (0-100).", "core")
	d.hostMemTotal = mk("host_memory_total_bytes", "Host physical memory, in bytes.")
	d.hostMemUsed = mk("host_memory_used_bytes", "Host memory in use, in bytes.")
	d.hostMemAvail = mk("host_memory_available_bytes", "Host memory available to new programs without swapping, in bytes.")
	d.hostSwapTotal = mk("host_swap_total_bytes", "Host swap space, in bytes.")
	d.hostSwapUsed = mk("host_swap_used_bytes", "Host swap space in use, in bytes.")
	d.hostLoad1 = mk("host_load1", "Host load average over 1 minute (runnable and waiting tasks).")
	d.hostLoad5 = mk("host_load5", "Host load average over 5 minutes (runnable and waiting tasks).")
	d.hostLoad15 = mk("host_load15", "Host load average over 15 minutes (runnable and waiting tasks).")
	d.hostDiskRead = mk("host_disk_read_bytes_per_second", "Bytes read from the host's physical disks per second over the last interval.")
	d.hostDiskWrite = mk("host_disk_write_bytes_per_second", "Bytes written to the host's physical disks per second over the last interval.")
	d.hostNetRx = mk("host_network_receive_bytes_per_second", "Bytes received on the host's physical interfaces per second over the last interval.")
	d.hostNetTx = mk("host_network_transmit_bytes_per_second", "Bytes sent on the host's physical interfaces per second over the last interval.")
	d.hostUptime = mk("host_uptime_seconds", "Time since the host booted, in seconds.")

	d.vmsUp = mk("vms_up", "1 when libvirt answered the last VM refresh, 0 when the VM list is unavailable or out of date (no VM series then).", "uri")
	d.vmInfo = mk("vm_info", "Always 1; labels name the VM, its UUID and its libvirt state (running, paused, shutoff, crashed, ...).", "name", "uuid", "state", "uri")
	d.vmRunning = mk("vm_running", "1 when the VM is running (libvirt state running or blocked), else 0.", "name", "uri")
	d.vmVCPUs = mk("vm_vcpus", "Virtual CPUs of the VM.", "name", "uri")
	d.vmMem = mk("vm_memory_bytes", "Memory of the VM (balloon size when known), in bytes.", "name", "uri")
	d.vmFigures = []figure[model.Machine]{
		{mk("vm_cpu_percent", "VM CPU use over the last interval, in percent of one host core (200 = two cores).", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.CPUPercent })},
		{mk("vm_disk_read_bytes_per_second", "Bytes read by the VM from all its disks per second.", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.DiskReadBps })},
		{mk("vm_disk_write_bytes_per_second", "Bytes written by the VM to all its disks per second.", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.DiskWriteBps })},
		{mk("vm_network_receive_bytes_per_second", "Bytes received by the VM on all its interfaces per second.", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.NetRxBps })},
		{mk("vm_network_transmit_bytes_per_second", "Bytes sent by the VM on all its interfaces per second.", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.NetTxBps })},
		{mk("vm_uptime_seconds", "Time since the VM's QEMU process started, in seconds.", "name", "uri"), measured(func(v *model.Machine) *float64 { return v.UptimeSeconds })},
	}

	d.vmFSSize = mk("vm_guest_filesystem_size_bytes", "Size of a filesystem mounted in the guest, as its guest agent reports it (no series without an answering agent).", "name", "mountpoint", "uri")
	d.vmFSUsed = mk("vm_guest_filesystem_used_bytes", "Bytes in use on a filesystem mounted in the guest, as its guest agent reports it; divide by the size for the share used.", "name", "mountpoint", "uri")

	d.ctsUp = mk("containers_up", "1 when the container engine answered the last refresh, 0 when the container list is unavailable (no container series then).", "host")
	d.ctInfo = mk("container_info", "Always 1; labels name the container, its full ID, its image and its engine state (running, exited, ...).", "name", "id", "image", "state", "host")
	d.ctRunning = mk("container_running", "1 when the container is running, else 0.", "name", "host")
	d.ctFigures = []figure[model.Container]{
		{mk("container_cpu_percent", "Container CPU use, in percent of one core (200 = two cores), as docker stats.", "name", "host"), measured(func(c *model.Container) *float64 { return c.CPUPercent })},
		{mk("container_memory_usage_bytes", "Container memory use without inactive page cache, in bytes, as docker stats.", "name", "host"), measured(func(c *model.Container) *uint64 { return c.MemUsageBytes })},
		{mk("container_memory_limit_bytes", "Container memory limit (the host's memory when unlimited), in bytes.", "name", "host"), measured(func(c *model.Container) *uint64 { return c.MemLimitBytes })},
		{mk("container_network_receive_bytes_per_second", "Bytes received by the container on all its interfaces per second.", "name", "host"), measured(func(c *model.Container) *float64 { return c.NetRxBps })},
		{mk("container_network_transmit_bytes_per_second", "Bytes sent by the container on all its interfaces per second.", "name", "host"), measured(func(c *model.Container) *float64 { return c.NetTxBps })},
		{mk("container_block_read_bytes_per_second", "Bytes read by the container from block devices per second.", "name", "host"), measured(func(c *model.Container) *float64 { return c.BlockReadBps })},
		{mk("container_block_write_bytes_per_second", "Bytes written by the container to block devices per second.", "name", "host"), measured(func(c *model.Container) *float64 { return c.BlockWriteBps })},
		{mk("container_pids", "Processes and threads in the container.", "name", "host"), measured(func(c *model.Container) *uint64 { return c.PIDs })},
	}
	d.ctRestarts = mk("container_restarts_total", "Restarts of the container by its restart policy, as the engine counts them.", "name", "host")
	d.ctExitCode = mk("container_exit_code", "Exit code of the container's last run; only for exited or dead containers.", "name", "host")
	return d
}

// emitter sends const metrics to one Collect call.
type emitter struct{ ch chan<- prometheus.Metric }

// metric sends one sample. A label value the registry rejects (invalid
// UTF-8) becomes an invalid metric, which the handler reports and skips,
// instead of a panic that would fail the whole scrape.
func (m emitter) metric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	x, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		x = prometheus.NewInvalidMetric(d, err)
	}
	m.ch <- x
}

func (m emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	m.metric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectSnapshot(d *descs, s *model.Snapshot, ch chan<- prometheus.Metric) {
	m := emitter{ch}
	collectHost(d, m, &s.Host)
	for i := range s.VMs {
		collectVMs(d, m, &s.VMs[i])
	}
	for i := range s.Containers {
		collectContainers(d, m, &s.Containers[i])
	}
}

// collectHost emits the parts of h that were measured. A Stats without a
// time was never measured (the collector's placeholder before the first
// sample), so it emits nothing.
func collectHost(d *descs, m emitter, h *model.HostStats) {
	if h.Time.IsZero() {
		return
	}
	m.gauge(d.hostSampleTime, float64(h.Time.UnixNano())/1e9)
	if h.Has(model.PartCPU) {
		m.gauge(d.hostCPU, h.CPUPercent)
		for i, v := range h.CPUPerCorePercent {
			m.gauge(d.hostCore, v, strconv.Itoa(i))
		}
	}
	if h.Has(model.PartMemory) {
		m.gauge(d.hostMemTotal, float64(h.MemTotal))
		m.gauge(d.hostMemUsed, float64(h.MemUsed))
		m.gauge(d.hostMemAvail, float64(h.MemAvailable))
	}
	if h.Has(model.PartSwap) {
		m.gauge(d.hostSwapTotal, float64(h.SwapTotal))
		m.gauge(d.hostSwapUsed, float64(h.SwapUsed))
	}
	if h.Has(model.PartLoad) {
		m.gauge(d.hostLoad1, h.Load1)
		m.gauge(d.hostLoad5, h.Load5)
		m.gauge(d.hostLoad15, h.Load15)
	}
	if h.Has(model.PartDisk) {
		m.gauge(d.hostDiskRead, h.DiskReadBps)
		m.gauge(d.hostDiskWrite, h.DiskWriteBps)
	}
	if h.Has(model.PartNet) {
		m.gauge(d.hostNetRx, h.NetRxBps)
		m.gauge(d.hostNetTx, h.NetTxBps)
	}
	if h.Has(model.PartUptime) {
		m.gauge(d.hostUptime, float64(h.UptimeSeconds))
	}
}

// collectSection emits a source's up gauge and, only while it answers,
// each item with its measured figures: a list kept from before the source
// went silent would draw flat lines that look measured.
func collectSection[T any](m emitter, up *prometheus.Desc, a model.Availability, where string,
	items []T, figures []figure[T], name func(*T) string, each func(*T)) {
	m.gauge(up, boolValue(a.IsUp()), where)
	if !a.IsUp() {
		return
	}
	for i := range items {
		it := &items[i]
		each(it)
		for _, f := range figures {
			if v, ok := f.value(it); ok {
				m.gauge(f.desc, v, name(it), where)
			}
		}
	}
}

func collectVMs(d *descs, m emitter, sec *model.VMSection) {
	collectSection(m, d.vmsUp, sec.Availability, sec.URI, sec.Items, d.vmFigures,
		func(v *model.Machine) string { return v.Name }, func(v *model.Machine) {
			m.gauge(d.vmInfo, 1, v.Name, v.UUID, string(v.State), sec.URI)
			m.gauge(d.vmRunning, boolValue(v.State == model.VMRunning || v.State == model.VMBlocked), v.Name, sec.URI)
			// Zero vCPUs or memory means the domain XML did not say, not a
			// VM without any.
			if v.VCPUs > 0 {
				m.gauge(d.vmVCPUs, float64(v.VCPUs), v.Name, sec.URI)
			}
			if v.MemoryBytes > 0 {
				m.gauge(d.vmMem, float64(v.MemoryBytes), v.Name, sec.URI)
			}
			if v.Guest != nil {
				collectGuestFS(d, m, v, sec.URI)
			}
		})
}

// collectGuestFS emits each guest filesystem once: a guest can list one
// mount point twice (bind mounts, stacked mounts), and a repeated series
// would fail the whole scrape.
func collectGuestFS(d *descs, m emitter, v *model.Machine, uri string) {
	seen := make(map[string]bool, len(v.Guest.FileSystems))
	for _, fs := range v.Guest.FileSystems {
		if seen[fs.Mount] {
			continue
		}
		seen[fs.Mount] = true
		m.gauge(d.vmFSSize, float64(fs.TotalBytes), v.Name, fs.Mount, uri)
		m.gauge(d.vmFSUsed, float64(fs.UsedBytes), v.Name, fs.Mount, uri)
	}
}

func collectContainers(d *descs, m emitter, sec *model.ContainerSection) {
	collectSection(m, d.ctsUp, sec.Availability, sec.Host, sec.Items, d.ctFigures,
		func(c *model.Container) string { return c.Name }, func(c *model.Container) {
			m.gauge(d.ctInfo, 1, c.Name, c.ID, c.Image, c.State, sec.Host)
			m.gauge(d.ctRunning, boolValue(c.State == "running"), c.Name, sec.Host)
			m.metric(d.ctRestarts, prometheus.CounterValue, float64(c.RestartCount), c.Name, sec.Host)
			if c.State == "exited" || c.State == "dead" {
				m.gauge(d.ctExitCode, float64(c.ExitCode), c.Name, sec.Host)
			}
		})
}
