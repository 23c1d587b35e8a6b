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

	"github.com/horcrux-desktop/horcrux/backend/host"
)

// Report is the public snapshot document; its JSON names are documented in
// the README and must stay stable.
type Report struct {
	Time       time.Time  `json:"time"`
	Host       host.Stats `json:"host"`
	VMs        any        `json:"vms"`
	Containers any        `json:"containers"`
}

// pending is the section of a source that this build does not read yet.
type pending struct {
	Available bool   `json:"available"`
	Error     string `json:"error"`
}

// Config says what to measure.
type Config struct {
	Interval time.Duration // rates are measured over this; default 1 s
	Host     host.Reader   // default host.SystemReader{}
}

// Take measures everything over one interval: two readings Interval apart.
func Take(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Host == nil {
		cfg.Host = host.SystemReader{}
	}
	s := host.NewSampler(cfg.Host)
	s.Sample(ctx)
	select {
	case <-time.After(cfg.Interval):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := &Report{
		Host:       s.Sample(ctx),
		VMs:        pending{Error: "this build of Horcrux does not read libvirt yet"},
		Containers: pending{Error: "this build of Horcrux does not read Docker yet"},
	}
	r.Time = r.Host.Time.UTC().Truncate(time.Second)
	return r, nil
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
	show := func(p host.Part, f func() string) string {
		if why, missing := h.Missing[p]; missing {
			return "unavailable: " + why
		}
		return f()
	}
	row("time", r.Time.Format(time.RFC3339))
	row("hostname", h.Hostname)
	row("cpu", show(host.PartCPU, func() string {
		cores := make([]string, len(h.CPUPerCorePercent))
		for i, c := range h.CPUPerCorePercent {
			cores[i] = fmt.Sprintf("%.1f", c)
		}
		return fmt.Sprintf("%.1f %% (per core: %s)", h.CPUPercent, strings.Join(cores, " "))
	}))
	row("memory", show(host.PartMemory, func() string {
		return fmt.Sprintf("%s used, %s available of %s", byteCount(h.MemUsed), byteCount(h.MemAvailable), byteCount(h.MemTotal))
	}))
	row("swap", show(host.PartSwap, func() string {
		return fmt.Sprintf("%s used of %s", byteCount(h.SwapUsed), byteCount(h.SwapTotal))
	}))
	row("load", show(host.PartLoad, func() string {
		return fmt.Sprintf("%.2f %.2f %.2f", h.Load1, h.Load5, h.Load15)
	}))
	row("disk", show(host.PartDisk, func() string {
		return fmt.Sprintf("read %s/s, write %s/s", byteCount(uint64(h.DiskReadBps)), byteCount(uint64(h.DiskWriteBps)))
	}))
	row("network", show(host.PartNet, func() string {
		return fmt.Sprintf("rx %s/s, tx %s/s", byteCount(uint64(h.NetRxBps)), byteCount(uint64(h.NetTxBps)))
	}))
	row("uptime", show(host.PartUptime, func() string {
		return (time.Duration(h.UptimeSeconds) * time.Second).String()
	}))
	for _, s := range []struct {
		name string
		v    any
	}{{"vms", r.VMs}, {"containers", r.Containers}} {
		if p, ok := s.v.(pending); ok {
			row(s.name, "unavailable: "+p.Error)
		}
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
