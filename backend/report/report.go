// Package report takes the one-shot snapshot printed by `horcrux snapshot`,
// as JSON for scripts or as a table for people.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/host"
	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Report is the public snapshot document; its JSON names are documented in
// the README and must stay stable.
type Report struct {
	Time       time.Time              `json:"time"`
	Host       model.HostStats        `json:"host"`
	VMs        model.VMSection        `json:"vms"`
	Containers model.ContainerSection `json:"containers"`
}

// Config says what to measure.
type Config struct {
	Interval   time.Duration      // rates are measured over this; default 1 s
	Host       host.Reader        // default host.SystemReader{}
	VMs        collector.VMSource // nil: the section says the VM list is disabled
	Containers collector.ContainerSource
	Timeout    time.Duration // Take returns within 2 x Interval + Timeout; default 4 s
}

// statsGrace is how long past the interval Take waits for container figures:
// an engine streams stats once a second and rates need two frames.
const statsGrace = 2 * time.Second

// Take measures everything over one interval: two readings Interval apart.
// It returns within 2 x Interval + Timeout whatever the sources do: a source
// that has not answered by then is reported as not answering since Take
// began, never with made-up figures.
func Take(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Host == nil {
		cfg.Host = host.SystemReader{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 4 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a source still busy gives up when Take returns
	began := time.Now()
	r := &Report{
		VMs:        model.VMSection{Availability: model.Unavailable("VM list disabled")},
		Containers: model.ContainerSection{Availability: model.Unavailable("container list disabled")},
	}
	// The first look starts every counter; the second, one interval later,
	// gives the rates. Each source runs on its own so a slow one delays
	// only itself.
	vmC := make(chan model.VMSection, 1)
	ctC := make(chan model.ContainerSection, 1)
	waiting := 0
	if cfg.VMs != nil {
		waiting++
		go func() {
			cfg.VMs.Poll(ctx)
			sleep(ctx, cfg.Interval)
			vmC <- cfg.VMs.Poll(ctx)
		}()
	}
	if cfg.Containers != nil {
		waiting++
		go func() {
			cfg.Containers.Poll(ctx)
			sleep(ctx, cfg.Interval)
			ctC <- pollContainers(ctx, cfg.Containers)
		}()
	}
	s := host.NewSampler(cfg.Host)
	s.Sample(ctx)
	if !sleep(ctx, cfg.Interval) {
		return nil, ctx.Err()
	}
	r.Host = s.Sample(ctx)
	r.Time = r.Host.Time.UTC().Truncate(time.Second)
	late := time.NewTimer(time.Until(began.Add(2*cfg.Interval + cfg.Timeout)))
	defer late.Stop()
	for ; waiting > 0; waiting-- {
		select {
		case r.VMs = <-vmC:
			vmC = nil
		case r.Containers = <-ctC:
			ctC = nil
		case now := <-late.C:
			if vmC != nil {
				r.VMs = model.VMsNeverAnswered("", began, now)
			}
			if ctC != nil {
				r.Containers = model.ContainersNeverAnswered("", began, now)
			}
			return r, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return r, nil
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pollContainers polls until every running container has its figures, or
// statsGrace has passed: then what is missing stays null.
func pollContainers(ctx context.Context, src collector.ContainerSource) model.ContainerSection {
	deadline := time.Now().Add(statsGrace)
	for {
		sec := src.Poll(ctx)
		if complete(&sec) || time.Now().After(deadline) || ctx.Err() != nil {
			return sec
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

func complete(s *model.ContainerSection) bool {
	for _, c := range s.Items {
		if c.State == "running" && (c.CPUPercent == nil || c.NetRxBps == nil || c.BlockReadBps == nil) {
			return false
		}
	}
	return true
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r for people: one figure a line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	h := &r.Host
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	show := func(p model.Part, f func() string) string {
		if gap, missing := h.Missing[p]; missing {
			if gap.Settling {
				return gap.Reason
			}
			return "unavailable: " + gap.Reason
		}
		return f()
	}
	row("time", r.Time.Format(time.RFC3339))
	row("hostname", h.Hostname)
	row("cpu", show(model.PartCPU, func() string {
		cores := make([]string, len(h.CPUPerCorePercent))
		for i, c := range h.CPUPerCorePercent {
			cores[i] = fmt.Sprintf("%.1f", c)
		}
		return fmt.Sprintf("%.1f %% (per core: %s)", h.CPUPercent, strings.Join(cores, " "))
	}))
	row("memory", show(model.PartMemory, func() string {
		return fmt.Sprintf("%s used, %s available of %s", byteCount(h.MemUsed), byteCount(h.MemAvailable), byteCount(h.MemTotal))
	}))
	row("swap", show(model.PartSwap, func() string {
		return fmt.Sprintf("%s used of %s", byteCount(h.SwapUsed), byteCount(h.SwapTotal))
	}))
	row("load", show(model.PartLoad, func() string {
		return fmt.Sprintf("%.2f %.2f %.2f", h.Load1, h.Load5, h.Load15)
	}))
	row("disk", show(model.PartDisk, func() string {
		return fmt.Sprintf("read %s/s, write %s/s", byteCount(uint64(h.DiskReadBps)), byteCount(uint64(h.DiskWriteBps)))
	}))
	row("network", show(model.PartNet, func() string {
		return fmt.Sprintf("rx %s/s, tx %s/s", byteCount(uint64(h.NetRxBps)), byteCount(uint64(h.NetTxBps)))
	}))
	row("uptime", show(model.PartUptime, func() string {
		return (time.Duration(h.UptimeSeconds) * time.Second).String()
	}))
	if err := tw.Flush(); err != nil {
		return err
	}
	opt := func(p *float64, f string) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf(f, *p)
	}
	rateOpt := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return byteCount(uint64(*p)) + "/s"
	}

	fmt.Fprintf(w, "\nvirtual machines (%s)", r.VMs.URI)
	if !r.VMs.IsUp() {
		fmt.Fprintf(w, ": unavailable: %s\n", r.VMs.Reason)
	} else {
		fmt.Fprintln(w)
		if r.VMs.Notice != "" {
			fmt.Fprintf(w, "note: %s\n", r.VMs.Notice)
		}
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tVCPUS\tMEMORY\tCPU\tDISK R\tDISK W\tNET RX\tNET TX\tVNC")
		for _, m := range r.VMs.Items {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", m.Name, m.State, m.VCPUs, byteCount(m.MemoryBytes),
				opt(m.CPUPercent, "%.1f %%"), rateOpt(m.DiskReadBps), rateOpt(m.DiskWriteBps), rateOpt(m.NetRxBps), rateOpt(m.NetTxBps), m.VNC)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\ncontainers (%s)", r.Containers.Host)
	if !r.Containers.IsUp() {
		fmt.Fprintf(w, ": unavailable: %s\n", r.Containers.Reason)
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGE\tSTATE\tCPU\tMEMORY\tNET RX\tNET TX\tBLOCK R\tBLOCK W\tPIDS")
	for _, c := range r.Containers.Items {
		mem := "—"
		if c.MemUsageBytes != nil {
			mem = byteCount(*c.MemUsageBytes)
		}
		pids := "—"
		if c.PIDs != nil {
			pids = fmt.Sprint(*c.PIDs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Image, c.State, opt(c.CPUPercent, "%.1f %%"), mem,
			rateOpt(c.NetRxBps), rateOpt(c.NetTxBps), rateOpt(c.BlockReadBps), rateOpt(c.BlockWriteBps), pids)
	}
	return tw.Flush()
}

// byteCount renders a byte count with binary prefixes.
func byteCount(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
