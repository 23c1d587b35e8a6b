package widgets

import (
	"image"
	"image/color"
	"math"
	"time"
)

// tickSteps are the round spacings time ticks may have, finest first.
var tickSteps = [...]time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
}

// timeTicks returns at most n times at round moments in (from, to], in to's
// time zone: every 15 min, every 6 h, each midnight, each first of a month.
// The spacing is the finest round one that fits n ticks.
func timeTicks(from, to time.Time, n int) []time.Time {
	span := to.Sub(from)
	if span <= 0 || n < 1 {
		return nil
	}
	loc := to.Location()
	if span > time.Duration(n)*tickSteps[len(tickSteps)-1] {
		return monthTicks(from, to, n)
	}
	for _, step := range tickSteps {
		if span/step > time.Duration(n) {
			continue
		}
		var t time.Time
		if step >= 24*time.Hour {
			// Days start at local midnight, weeks on Mondays.
			y, m, d := from.In(loc).Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, loc)
			if step%(7*24*time.Hour) == 0 {
				for t.Weekday() != time.Monday {
					t = t.AddDate(0, 0, -1)
				}
			}
		} else {
			// Round in local wall time, so 6 h ticks fall on 0:00, 6:00, ...
			_, off := from.In(loc).Zone()
			sh := time.Duration(off) * time.Second
			t = from.Add(sh).Truncate(step).Add(-sh)
		}
		var out []time.Time
		days := int(step / (24 * time.Hour))
		for ; !t.After(to); t = next(t, step, days) {
			if t.After(from) {
				out = append(out, t.In(loc))
			}
		}
		return out
	}
	return nil
}

// next is the tick after t: whole days by the calendar (a day is not 24 h
// across a clock change).
func next(t time.Time, step time.Duration, days int) time.Time {
	if days > 0 {
		return t.AddDate(0, 0, days)
	}
	return t.Add(step)
}

// monthTicks puts ticks on the first of every k-th month.
func monthTicks(from, to time.Time, n int) []time.Time {
	loc := to.Location()
	y, m, _ := from.In(loc).Date()
	months := int(to.Sub(from)/(30*24*time.Hour)) + 1
	k := 1
	for _, c := range []int{1, 2, 3, 6, 12} {
		k = c
		if months/c <= n {
			break
		}
	}
	t := time.Date(y, m-time.Month((int(m)-1)%k), 1, 0, 0, 0, 0, loc)
	var out []time.Time
	for ; !t.After(to); t = t.AddDate(0, k, 0) {
		if t.After(from) {
			out = append(out, t)
		}
	}
	return out
}

// tickLabel formats a tick at the precision its spacing needs.
func tickLabel(t time.Time, span time.Duration) string {
	switch {
	case span <= 5*time.Minute:
		return t.Format("15:04:05")
	case span <= 2*24*time.Hour:
		return t.Format("15:04")
	case span <= 120*24*time.Hour:
		return t.Format("Jan 2")
	default:
		return t.Format("Jan 2006")
	}
}

// xOf is where time t falls across a plot w pixels wide showing
// (end-window, end].
func xOf(t, end time.Time, window time.Duration, w int) float64 {
	return float64(w-1) * (1 - float64(end.Sub(t))/float64(window))
}

// vdash draws a dashed vertical line at x.
func vdash(img *image.RGBA, x float64, c color.NRGBA) {
	xi := int(math.Round(x))
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		if y%6 < 4 {
			blend(img, xi, y, c, 1)
		}
	}
}

// hdash draws a dashed horizontal line at y.
func hdash(img *image.RGBA, y float64, c color.NRGBA) {
	yi := int(math.Round(y))
	for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
		if x%8 < 5 {
			blend(img, x, yi, c, 1)
			blend(img, x, yi+1, c, 0.5)
		}
	}
}
