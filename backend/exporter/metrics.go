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
	vmCPU, vmDiskRead, vmDiskWrite           *prometheus.Desc
	vmNetRx, vmNetTx, vmUptime               *prometheus.Desc
	ctsUp, ctInfo, ctRunning, ctCPU          *prometheus.Desc
	ctMemUsage, ctMemLimit, ctNetRx, ctNetTx *prometheus.Desc
	ctBlockRead, ctBlockWrite, ctPIDs        *prometheus.Desc
	ctRestarts, ctExitCode                   *prometheus.Desc
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
	d.vmCPU = mk("vm_cpu_percent", "VM CPU use over the last interval, in percent of one host core (200 = two cores).", "name", "uri")
	d.vmDiskRead = mk("vm_disk_read_bytes_per_second", "Bytes read by the VM from all its disks per second.", "name", "uri")
	d.vmDiskWrite = mk("vm_disk_write_bytes_per_second", "Bytes written by the VM to all its disks per second.", "name", "uri")
	d.vmNetRx = mk("vm_network_receive_bytes_per_second", "Bytes received by the VM on all its interfaces per second.", "name", "uri")
	d.vmNetTx = mk("vm_network_transmit_bytes_per_second", "Bytes sent by the VM on all its interfaces per second.", "name", "uri")
	d.vmUptime = mk("vm_uptime_seconds", "Time since the VM's QEMU process started, in seconds.", "name", "uri")

	d.ctsUp = mk("containers_up", "1 when the container engine answered the last refresh, 0 when the container list is unavailable (no container series then).", "host")
	d.ctInfo = mk("container_info", "Always 1; labels name the container, its full ID, its image and its engine state (running, exited, ...).", "name", "id", "image", "state", "host")
	d.ctRunning = mk("container_running", "1 when the container is running, else 0.", "name", "host")
	d.ctCPU = mk("container_cpu_percent", "Container CPU use, in percent of one core (200 = two cores), as docker stats.", "name", "host")
	d.ctMemUsage = mk("container_memory_usage_bytes", "Container memory use without inactive page cache, in bytes, as docker stats.", "name", "host")
	d.ctMemLimit = mk("container_memory_limit_bytes", "Container memory limit (the host's memory when unlimited), in bytes.", "name", "host")
	d.ctNetRx = mk("container_network_receive_bytes_per_second", "Bytes received by the container on all its interfaces per second.", "name", "host")
	d.ctNetTx = mk("container_network_transmit_bytes_per_second", "Bytes sent by the container on all its interfaces per second.", "name", "host")
	d.ctBlockRead = mk("container_block_read_bytes_per_second", "Bytes read by the container from block devices per second.", "name", "host")
	d.ctBlockWrite = mk("container_block_write_bytes_per_second", "Bytes written by the container to block devices per second.", "name", "host")
	d.ctPIDs = mk("container_pids", "Processes and threads in the container.", "name", "host")
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

// optional sends a gauge only when the figure was measured: an absent series
// is honest, a zero would be invented.
func optional[T float64 | uint64](m emitter, d *prometheus.Desc, p *T, labels ...string) {
	if p != nil {
		m.gauge(d, float64(*p), labels...)
	}
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

// collectVMs emits the VM list only while libvirt answers: a list kept from
// before libvirt went silent would draw flat lines that look measured.
func collectVMs(d *descs, m emitter, sec *model.VMSection) {
	up := sec.IsUp()
	m.gauge(d.vmsUp, boolValue(up), sec.URI)
	if !up {
		return
	}
	for i := range sec.Items {
		v := &sec.Items[i]
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
		optional(m, d.vmCPU, v.CPUPercent, v.Name, sec.URI)
		optional(m, d.vmDiskRead, v.DiskReadBps, v.Name, sec.URI)
		optional(m, d.vmDiskWrite, v.DiskWriteBps, v.Name, sec.URI)
		optional(m, d.vmNetRx, v.NetRxBps, v.Name, sec.URI)
		optional(m, d.vmNetTx, v.NetTxBps, v.Name, sec.URI)
		optional(m, d.vmUptime, v.UptimeSeconds, v.Name, sec.URI)
	}
}

// collectContainers emits the container list while the engine answers.
func collectContainers(d *descs, m emitter, sec *model.ContainerSection) {
	up := sec.IsUp()
	m.gauge(d.ctsUp, boolValue(up), sec.Host)
	if !up {
		return
	}
	for i := range sec.Items {
		c := &sec.Items[i]
		m.gauge(d.ctInfo, 1, c.Name, c.ID, c.Image, c.State, sec.Host)
		m.gauge(d.ctRunning, boolValue(c.State == "running"), c.Name, sec.Host)
		optional(m, d.ctCPU, c.CPUPercent, c.Name, sec.Host)
		optional(m, d.ctMemUsage, c.MemUsageBytes, c.Name, sec.Host)
		optional(m, d.ctMemLimit, c.MemLimitBytes, c.Name, sec.Host)
		optional(m, d.ctNetRx, c.NetRxBps, c.Name, sec.Host)
		optional(m, d.ctNetTx, c.NetTxBps, c.Name, sec.Host)
		optional(m, d.ctBlockRead, c.BlockReadBps, c.Name, sec.Host)
		optional(m, d.ctBlockWrite, c.BlockWriteBps, c.Name, sec.Host)
		optional(m, d.ctPIDs, c.PIDs, c.Name, sec.Host)
		m.metric(d.ctRestarts, prometheus.CounterValue, float64(c.RestartCount), c.Name, sec.Host)
		if c.State == "exited" || c.State == "dead" {
			m.gauge(d.ctExitCode, float64(c.ExitCode), c.Name, sec.Host)
		}
	}
}
