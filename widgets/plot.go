package widgets

import (
	"image"
	"image/color"
	"math"
)

// plot draws series onto an RGBA image of w x h pixels, with values scaled
// so that 0 is the bottom row and max the top. NaN values leave gaps. The
// first series is also shaded below its line when fill is set. It draws into
// img when that has the right size, so a live chart allocates no image per
// update.
func plot(img *image.RGBA, w, h int, series []Series, max float64, fill bool) *image.RGBA {
	img = background(img, w, h, nil)
	if w < 2 || h < 2 || max <= 0 {
		return img
	}
	drawSeries(img, w, h, series, max, fill)
	return img
}

// background is img (or a new image when img is nil or of another size)
// w x h pixels filled with bg, transparent when bg is nil.
func background(img *image.RGBA, w, h int, bg color.Color) *image.RGBA {
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		img = image.NewRGBA(image.Rect(0, 0, w, h))
		if bg == nil {
			return img
		}
	}
	if bg == nil || len(img.Pix) < 4 {
		clear(img.Pix)
		return img
	}
	r, g, b, a := bg.RGBA() // premultiplied, as img stores it
	copy(img.Pix, []uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)})
	// Doubling copies: a few memmoves instead of a store per pixel.
	for n := 4; n < len(img.Pix); n *= 2 {
		copy(img.Pix[n:], img.Pix[:n])
	}
	return img
}

// hline draws a one-pixel horizontal line across img at row y.
func hline(img *image.RGBA, y int, c color.NRGBA) {
	for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
		blend(img, x, y, c, 1)
	}
}

// drawSeries draws series over what img already shows (see plot).
func drawSeries(img *image.RGBA, w, h int, series []Series, max float64, fill bool) {
	for si, s := range series {
		n := len(s.Values)
		if n == 0 {
			continue
		}
		x := func(i int) float64 {
			if n == 1 {
				return float64(w - 1)
			}
			return float64(i) * float64(w-1) / float64(n-1)
		}
		y := func(v float64) float64 {
			v = math.Max(0, math.Min(v, max))
			return float64(h-1) - v/max*float64(h-1)
		}
		c := toNRGBA(s.Color)
		if fill && si == 0 {
			shade := c
			shade.A = 48
			for i := 0; i+1 < n; i++ {
				a, b := s.Values[i], s.Values[i+1]
				if math.IsNaN(a) || math.IsNaN(b) {
					continue
				}
				fillBelow(img, x(i), y(a), x(i+1), y(b), shade)
			}
		}
		for i := 0; i < n; i++ {
			v := s.Values[i]
			if math.IsNaN(v) {
				continue
			}
			if i+1 < n && !math.IsNaN(s.Values[i+1]) {
				line(img, x(i), y(v), x(i+1), y(s.Values[i+1]), c)
			} else if i == 0 || math.IsNaN(s.Values[i-1]) {
				// A lone sample between gaps still shows as a dot.
				blend(img, int(math.Round(x(i))), int(math.Round(y(v))), c, 1)
			}
		}
	}
}

func toNRGBA(c color.Color) color.NRGBA {
	if c == nil {
		return color.NRGBA{0x33, 0x99, 0xff, 0xff}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// blend paints c over the pixel at (x, y) with coverage a in [0, 1].
func blend(img *image.RGBA, x, y int, c color.NRGBA, a float64) {
	if !(image.Point{x, y}.In(img.Rect)) || a <= 0 {
		return
	}
	i := img.PixOffset(x, y)
	alpha := float64(c.A) / 255 * math.Min(a, 1)
	p := img.Pix[i : i+4 : i+4]
	p[0] = uint8(float64(c.R)*alpha + float64(p[0])*(1-alpha))
	p[1] = uint8(float64(c.G)*alpha + float64(p[1])*(1-alpha))
	p[2] = uint8(float64(c.B)*alpha + float64(p[2])*(1-alpha))
	p[3] = uint8(255*alpha + float64(p[3])*(1-alpha))
}

// line draws an anti-aliased line (Xiaolin Wu), two pixels thick so that it
// reads well on any scale.
func line(img *image.RGBA, x0, y0, x1, y1 float64, c color.NRGBA) {
	steep := math.Abs(y1-y0) > math.Abs(x1-x0)
	if steep {
		x0, y0, x1, y1 = y0, x0, y1, x1
	}
	if x0 > x1 {
		x0, x1, y0, y1 = x1, x0, y1, y0
	}
	grad := 1.0
	if dx := x1 - x0; dx != 0 {
		grad = (y1 - y0) / dx
	}
	plotAA := func(x int, y float64) {
		fy := math.Floor(y)
		frac := y - fy
		for k, cov := range [3]float64{1 - frac, 1, frac} {
			px, py := x, int(fy)+k
			if steep {
				px, py = py, px
			}
			blend(img, px, py, c, cov)
		}
	}
	for x := int(math.Round(x0)); x <= int(math.Round(x1)); x++ {
		plotAA(x, y0+grad*(float64(x)-x0))
	}
}

// fillBelow shades the area under the segment from (x0, y0) to (x1, y1)
// down to the bottom row.
func fillBelow(img *image.RGBA, x0, y0, x1, y1 float64, c color.NRGBA) {
	h := img.Rect.Dy()
	from, to := int(math.Round(x0)), int(math.Round(x1))
	for x := from; x < to || x == from; x++ {
		t := 0.0
		if to != from {
			t = float64(x-from) / float64(to-from)
		}
		top := int(math.Round(y0 + t*(y1-y0)))
		for y := top + 1; y < h; y++ {
			blend(img, x, y, c, 1)
		}
	}
}

// stack turns series into running totals, so each is drawn on top of the
// ones before it; a NaN in any leaves a gap from there up.
func stack(series []Series) []Series {
	out := make([]Series, len(series))
	var sum []float64
	for i, s := range series {
		v := make([]float64, len(s.Values))
		for j, x := range s.Values {
			if j < len(sum) {
				x += sum[j]
			} else if i > 0 {
				x = math.NaN()
			}
			v[j] = x
		}
		out[i], sum = Series{Name: s.Name, Color: s.Color, Values: v}, v
	}
	return out
}

// stacked is series with the first n turned into running totals.
func stacked(series []Series, n int) []Series {
	n = min(n, len(series))
	if n <= 0 {
		return series
	}
	return append(stack(series[:n]), series[n:]...)
}

// drawStacked draws running totals (see stack) over img as bands: each
// series is shaded between the one below and its own line.
func drawStacked(img *image.RGBA, w, h int, totals []Series, max float64) {
	if w < 2 || h < 2 || max <= 0 {
		return
	}
	for si, s := range totals {
		n := len(s.Values)
		if n < 2 {
			continue
		}
		x := func(i int) float64 { return float64(i) * float64(w-1) / float64(n-1) }
		y := func(v float64) float64 {
			v = math.Max(0, math.Min(v, max))
			return float64(h-1) - v/max*float64(h-1)
		}
		shade := toNRGBA(s.Color)
		shade.A = 110
		for i := 0; i+1 < n; i++ {
			a, b := s.Values[i], s.Values[i+1]
			if math.IsNaN(a) || math.IsNaN(b) {
				continue
			}
			lo0, lo1 := float64(h-1), float64(h-1)
			if si > 0 {
				p := totals[si-1].Values
				lo0, lo1 = y(p[i]), y(p[i+1])
			}
			fillBetween(img, x(i), y(a), lo0, x(i+1), y(b), lo1, shade)
		}
	}
	drawSeries(img, w, h, totals, max, false)
}

// fillBetween shades the band between two segments that share their x ends.
func fillBetween(img *image.RGBA, x0, top0, bot0, x1, top1, bot1 float64, c color.NRGBA) {
	from, to := int(math.Round(x0)), int(math.Round(x1))
	for x := from; x < to || x == from; x++ {
		t := 0.0
		if to != from {
			t = float64(x-from) / float64(to-from)
		}
		top := int(math.Round(top0 + t*(top1-top0)))
		bot := int(math.Round(bot0 + t*(bot1-bot0)))
		for y := top + 1; y <= bot; y++ {
			blend(img, x, y, c, 1)
		}
	}
}
