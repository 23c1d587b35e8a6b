package alerts

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// hostCheck is one host figure compared with a threshold.
type hostCheck struct {
	key   string // episode key
	what  string // "CPU use", for sentences
	title string // "Host CPU", for titles
	unit  string // appended to numbers
	limit func(*Thresholds) float64
	// value gives the figure, or false when it was not measured.
	value func(*model.HostStats) (float64, bool)
}

// hostChecks lists the host figures watched. It is a function, not a
// package variable, so nothing can change the table.
func hostChecks() [3]hostCheck {
	return [...]hostCheck{
		{
			key: "host/cpu", what: "CPU use", title: "Host CPU", unit: " %",
			limit: func(t *Thresholds) float64 { return t.CPUPercent },
			value: func(h *model.HostStats) (float64, bool) {
				return h.CPUPercent, h.Has(model.PartCPU)
			},
		},
		{
			key: "host/memory", what: "Memory use", title: "Host memory", unit: " %",
			limit: func(t *Thresholds) float64 { return t.MemPercent },
			value: func(h *model.HostStats) (float64, bool) {
				if !h.Has(model.PartMemory) || h.MemTotal == 0 {
					return 0, false
				}
				return float64(h.MemUsed) / float64(h.MemTotal) * 100, true
			},
		},
		{
			key: "host/load", what: "Load", title: "Host load", unit: " per core",
			limit: func(t *Thresholds) float64 { return t.Load1PerCore },
			value: func(h *model.HostStats) (float64, bool) {
				// The cores are counted from the per-core CPU figures, which
				// belong to the same measured host.
				cores := len(h.CPUPerCorePercent)
				if !h.Has(model.PartLoad) || !h.Has(model.PartCPU) || cores == 0 {
					return 0, false
				}
				return h.Load1 / float64(cores), true
			},
		},
	}
}

// host checks the host figures. Figures of a host never measured (zero
// time) or stale (the last sample has not returned) are unknown.
func (o *observation) host(s *model.Snapshot) {
	h := &s.Host
	if h.Time.IsZero() || s.HostIsLate() {
		return
	}
	t := &o.e.t
	for _, c := range hostChecks() {
		limit := c.limit(t)
		if limit <= 0 {
			continue
		}
		v, ok := c.value(h)
		if !ok {
			continue
		}
		if o.isOpen(c.key) {
			if clear := limit * clearFraction; v < clear {
				since := o.e.active[c.key].Since
				o.resolve(c.key, c.title+" back to normal",
					fmt.Sprintf("%s is %s%s, below %s%s, after %s above %s%s.",
						c.what, num(v), c.unit, num(clear), c.unit, span(o.now.Sub(since)), num(limit), c.unit))
			}
			continue
		}
		if v <= limit {
			delete(o.e.above, c.key)
			continue
		}
		since, ok := o.e.above[c.key]
		if !ok {
			since = o.now
			o.e.above[c.key] = since
		}
		if o.now.Sub(since) < t.For {
			continue
		}
		delete(o.e.above, c.key)
		o.raise(Alert{
			Key:   c.key,
			Title: fmt.Sprintf("%s above %s%s", c.title, num(limit), c.unit),
			Body: fmt.Sprintf("%s has been above %s%s for %s; now %s%s.",
				c.what, num(limit), c.unit, span(o.now.Sub(since)), num(v), c.unit),
			Since: since,
		})
	}
}

// num writes a figure with at most one decimal.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// span writes a duration to the second ("1m30s"), or "a moment" under one.
func span(d time.Duration) string {
	if d < time.Second {
		return "a moment"
	}
	return d.Round(time.Second).String()
}
