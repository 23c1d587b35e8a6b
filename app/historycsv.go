package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/horcrux-desktop/horcrux/backend/history"
)

// shownRange is the stretch the host charts show, as the store is asked
// for it: a window ending now or a zoomed range, and the most buckets per
// series (0 for a live window: every second, as the live charts sample).
func (w *window) shownRange(now time.Time) (from, to time.Time, points int) {
	if !w.host.zoomEnd.IsZero() {
		return w.host.zoomEnd.Add(-w.host.window), w.host.zoomEnd, pastPoints
	}
	if w.host.past() {
		return now.Add(-w.host.window), now, pastPoints
	}
	// Up to the end of the current second, so the hour starts within the
	// 1 s tier's hour.
	to = now.Truncate(time.Second).Add(time.Second)
	return to.Add(-w.host.window), to, 0
}

// exportRangeCSV saves the host charts' shown range as CSV, read from the
// store at the tier the charts show; without a store, the live window the
// collector holds.
func (w *window) exportRangeCSV() {
	h := w.history
	if h == nil {
		exportCSV(w.win, w.last, w.showFolder)
		return
	}
	from, to, points := w.shownRange(time.Now())
	w.jobs.Go(func(context.Context) {
		var b bytes.Buffer
		err := writeRangeCSV(&b, h, from, to, points)
		fyne.Do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("export failed: %w", err), w.win)
				return
			}
			saveAs(w.win, "Charts (CSV)", rangeFileName(from, to), ".csv", func(out io.Writer) error {
				_, err := out.Write(b.Bytes())
				return err
			}, w.showFolder)
		})
	})
}

// rangeFileName names an export after the range it holds, in local time:
// horcrux-host-20261130-030000-to-20261130-040000.csv.
func rangeFileName(from, to time.Time) string {
	const f = "20060102-150405"
	return "horcrux-host-" + from.Local().Format(f) + "-to-" + to.Local().Format(f) + ".csv"
}

// writeRangeCSV writes every host series of [from, to) from the store as
// CSV, one row per bucket of the tier that fits points (0: the finest that
// holds from): a column per series when each bucket is one sample (1 s
// tier), else its avg, min, max and count. A bucket without samples is
// empty cells. It does file I/O: call it off the UI goroutine.
func writeRangeCSV(out io.Writer, h historyReader, from, to time.Time, points int) error {
	metrics := h.MetricsOf(history.HostItem, history.KindHost)
	series := make([]history.Series, len(metrics))
	for i, m := range metrics {
		sr, err := h.Read(history.Query{Item: history.HostItem, Metric: m, From: from, To: to, Points: points})
		if err != nil {
			return fmt.Errorf("reading the host's %s history: %w", m, err)
		}
		series[i] = sr
	}
	if len(series) == 0 || len(series[0].Points) == 0 {
		return errors.New("nothing recorded in this range")
	}
	single := series[0].Step == time.Second
	head := []string{"time"}
	for _, m := range metrics {
		if single {
			head = append(head, m)
		} else {
			head = append(head, m+"_avg", m+"_min", m+"_max", m+"_count")
		}
	}
	cw := csv.NewWriter(out)
	cw.Write(head)
	row := make([]string, len(head))
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for i, p := range series[0].Points {
		row = row[:1]
		row[0] = p.Time.UTC().Format(time.RFC3339)
		for _, sr := range series {
			var b history.Bucket
			if i < len(sr.Points) {
				b = sr.Points[i].Bucket
			}
			switch {
			case single && b.Count == 0:
				row = append(row, "")
			case single:
				row = append(row, num(b.Avg()))
			case b.Count == 0:
				row = append(row, "", "", "", "0")
			default:
				row = append(row, num(b.Avg()), num(b.Min), num(b.Max), strconv.FormatUint(uint64(b.Count), 10))
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
