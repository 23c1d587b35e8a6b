// Package exporter serves the latest snapshot as Prometheus metrics, so users
// keep long history in the Prometheus they already run.
package exporter

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Exporter holds the latest snapshot and renders it at scrape time. Series
// are built from that snapshot alone, so a VM or container that went away is
// gone from the next scrape instead of lingering in a gauge vector.
type Exporter struct {
	latest atomic.Pointer[model.Snapshot]
	reg    *prometheus.Registry
	descs  *descs
}

// New returns an Exporter with its own registry (never the global one, so
// two exporters, or tests, do not collide).
func New() *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), descs: newDescs()}
	e.reg.MustRegister(snapshotCollector{e})
	return e
}

// Update makes s the snapshot the next scrape shows. It never blocks and is
// safe from any goroutine; s must not be modified afterwards.
func (e *Exporter) Update(s *model.Snapshot) { e.latest.Store(s) }

// Handler serves the metrics in the Prometheus exposition formats.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
		// A bad series (say, two containers with one name) must not hide
		// all the others.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      e.reg, // counts failed scrapes as promhttp_metric_handler_errors_total
	})
}

// snapshotCollector turns the latest snapshot into const metrics.
type snapshotCollector struct{ e *Exporter }

// Describe sends every metric the exporter can emit, so the registry checks
// the names and label sets once at registration.
func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.e.descs.all {
		ch <- d
	}
}

// Collect renders the latest snapshot; before the first Update it emits
// nothing rather than zeros.
func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.e.latest.Load()
	if s == nil {
		return
	}
	collectSnapshot(c.e.descs, s, ch)
}
