// Command mkicon renders the Horcrux Desktop application icon as a 512x512 PNG.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

// Design space is 512 units; every sample is computed analytically so the
// output is byte-for-byte deterministic.
const (
	size = 512 // output edge in pixels
	ss   = 4   // supersampling factor per axis
)

// rgba is a premultiplied colour with channels in [0,1].
type rgba struct{ r, g, b, a float64 }

// pt is a point in design space.
type pt struct{ x, y float64 }

// Tile geometry.
const (
	tileMin, tileMax = 40.0, 472.0
	tileRadius       = 100.0
)

// Slab (VM/container) geometry: three stacked rounded bars.
const (
	slabX0, slabX1 = 124.0, 388.0
	slabY0         = 294.0
	slabH, slabGap = 36.0, 13.0
	slabRadius     = 11.0
)

// trace is the heartbeat-like CPU line; x must increase so it can be
// treated as a function y(x) for the area fill.
var trace = []pt{
	{20, 214}, {118, 214}, {142, 190}, {166, 214}, {196, 214},
	{226, 98}, {258, 262}, {286, 214}, {318, 214}, {346, 174},
	{374, 192}, {404, 138},
}

// Trace colours: blue at the left, teal at the live end.
var (
	traceBlue = hex(0x4d8dff)
	traceTeal = hex(0x2ee8c4)
)

// main parses the output path and writes the icon there.
func main() {
	out := "Icon.png"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := writePNG(out, render()); err != nil {
		fmt.Fprintln(os.Stderr, "mkicon:", err)
		os.Exit(1)
	}
}

// writePNG encodes img to path.
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// render supersamples the scene and box-filters it down to size x size.
func render() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	inv := 1.0 / float64(ss*ss)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var acc rgba
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := float64(px) + (float64(sx)+0.5)/ss
					y := float64(py) + (float64(sy)+0.5)/ss
					c := shade(x, y)
					acc.r += c.r
					acc.g += c.g
					acc.b += c.b
					acc.a += c.a
				}
			}
			img.SetNRGBA(px, py, toNRGBA(rgba{acc.r * inv, acc.g * inv, acc.b * inv, acc.a * inv}))
		}
	}
	return img
}

// shade returns the premultiplied colour of the scene at one design-space point.
func shade(x, y float64) rgba {
	var c rgba

	// Soft drop shadow so the tile lifts off light and dark docks alike.
	sd := roundRect(x, y-8, tileMin, tileMin, tileMax, tileMax, tileRadius)
	c = over(c, withAlpha(hex(0x000000), 0.32*math.Exp(-sq(math.Max(sd+4, 0)/11))))

	td := roundRect(x, y, tileMin, tileMin, tileMax, tileMax, tileRadius)
	tileCov := cover(td)
	if tileCov <= 0 {
		return c
	}

	// Tile body: vertical slate gradient with a faint top-left sheen.
	t := (y - tileMin) / (tileMax - tileMin)
	body := mix(hex(0x2b3548), hex(0x121722), smooth(t))
	sheen := math.Exp(-(sq(x-150) + sq(y-90)) / (2 * sq(170)))
	body = mix(body, hex(0x3a4760), 0.35*sheen)
	in := body

	// Faint grid lines behind the chart read as "graph" at large sizes.
	for _, gy := range []float64{110, 162, 214} {
		in = over(in, withAlpha(hex(0xffffff), 0.045*cover(math.Abs(y-gy)-1)))
	}

	// Area under the trace, fading downward, ends where the live point is.
	last := trace[len(trace)-1]
	if x <= last.x && y < slabY0-6 {
		ty := traceY(x)
		if y > ty {
			f := 1 - (y-ty)/(slabY0-6-ty+1e-9)
			col := mix(traceBlue, traceTeal, gradT(x))
			// Fade out just before the live point instead of ending on a hard edge.
			fx := smooth((last.x - x) / 60)
			in = over(in, withAlpha(col, 0.22*f*f*fx))
		}
	}

	// Three machine slabs for the VMs and containers being watched.
	for i := 0; i < 3; i++ {
		in = over(in, slab(x, y, slabY0+float64(i)*(slabH+slabGap), i))
	}

	// Glow first, then the crisp stroke on top of it.
	d := polyDist(x, y, trace)
	col := mix(traceBlue, traceTeal, gradT(x))
	in = over(in, withAlpha(col, 0.45*math.Exp(-sq(d/18))))
	in = over(in, withAlpha(col, cover(d-9)))

	// The live point: a bright dot with a halo ring.
	ld := math.Hypot(x-last.x, y-last.y)
	in = over(in, withAlpha(traceTeal, 0.55*math.Exp(-sq(ld/26))))
	in = over(in, withAlpha(traceTeal, 0.9*cover(math.Abs(ld-26)-3)))
	in = over(in, withAlpha(hex(0xeafffa), cover(ld-13)))

	// Thin inner rim gives the tile a crisp edge on dark backgrounds.
	rim := cover(math.Abs(td+1.5) - 1.5)
	rimCol := mix(hex(0x55647f), hex(0x222a38), smooth(t))
	in = over(in, withAlpha(rimCol, 0.8*rim))

	return over(c, scale(in, tileCov))
}

// slab draws one rounded machine bar with a status LED and vent marks.
func slab(x, y, y0 float64, i int) rgba {
	y1 := y0 + slabH
	d := roundRect(x, y, slabX0, y0, slabX1, y1, slabRadius)
	if d > 30 {
		return rgba{}
	}
	t := (y - y0) / slabH
	body := mix(hex(0x3f4d67), hex(0x2d384c), t)
	c := withAlpha(body, cover(d))

	// Top highlight line makes each slab read as a raised plate.
	c = over(c, withAlpha(hex(0x6a7a98), 0.6*cover(math.Abs(d+1.2)-1.2)*clamp01(1-t*2)))

	// Status LEDs: the top two run, the bottom one idles.
	led := traceTeal
	if i == 2 {
		led = hex(0xf2b84b)
	}
	ld := math.Hypot(x-(slabX0+26), y-(y0+slabH/2))
	c = over(c, withAlpha(led, 0.5*math.Exp(-sq(ld/12))))
	c = over(c, withAlpha(led, cover(ld-7)))

	// Vent marks on the right keep the bars from reading as plain buttons.
	for k := 0; k < 3; k++ {
		vx := slabX1 - 30 - float64(k)*16
		vd := segDist(x, y, pt{vx, y0 + 11}, pt{vx, y1 - 11})
		c = over(c, withAlpha(hex(0x5d6c88), cover(vd-3)))
	}

	// Drive bar: a short lighter line next to the LED.
	bd := segDist(x, y, pt{slabX0 + 50, y0 + slabH/2}, pt{slabX0 + 130, y0 + slabH/2})
	c = over(c, withAlpha(hex(0x4f5e7a), cover(bd-3)))
	return c
}

// traceY linearly interpolates the trace height at x.
func traceY(x float64) float64 {
	for i := 1; i < len(trace); i++ {
		a, b := trace[i-1], trace[i]
		if x <= b.x {
			return a.y + (b.y-a.y)*(x-a.x)/(b.x-a.x)
		}
	}
	return trace[len(trace)-1].y
}

// gradT maps x across the tile to the blue→teal gradient position.
func gradT(x float64) float64 {
	return smooth(clamp01((x - 60) / (trace[len(trace)-1].x - 60)))
}

// polyDist is the distance from (x,y) to the trace polyline.
func polyDist(x, y float64, p []pt) float64 {
	d := math.Inf(1)
	for i := 1; i < len(p); i++ {
		d = math.Min(d, segDist(x, y, p[i-1], p[i]))
	}
	return d
}

// segDist is the distance from (x,y) to segment ab; round caps come free.
func segDist(x, y float64, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := clamp01(((x-a.x)*dx + (y-a.y)*dy) / (dx*dx + dy*dy))
	return math.Hypot(x-a.x-t*dx, y-a.y-t*dy)
}

// roundRect is the signed distance to a rounded rectangle (negative inside).
func roundRect(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	qx, qy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	out := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
	return out + math.Min(math.Max(qx, qy), 0) - r
}

// cover maps a signed distance to coverage over one subsample, smoothing edges further.
func cover(d float64) float64 {
	return clamp01(0.5 - d*ss)
}

// over composites premultiplied src over dst.
func over(dst, src rgba) rgba {
	k := 1 - src.a
	return rgba{src.r + dst.r*k, src.g + dst.g*k, src.b + dst.b*k, src.a + dst.a*k}
}

// withAlpha premultiplies an opaque colour by alpha a.
func withAlpha(c rgba, a float64) rgba {
	a = clamp01(a)
	return rgba{c.r * a, c.g * a, c.b * a, a}
}

// scale multiplies a premultiplied colour by coverage k.
func scale(c rgba, k float64) rgba {
	return rgba{c.r * k, c.g * k, c.b * k, c.a * k}
}

// mix linearly interpolates two opaque colours.
func mix(a, b rgba, t float64) rgba {
	return rgba{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t, 1}
}

// hex builds an opaque colour from 0xRRGGBB.
func hex(v uint32) rgba {
	return rgba{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255, 1}
}

// toNRGBA un-premultiplies and quantises a colour for PNG output.
func toNRGBA(c rgba) color.NRGBA {
	if c.a <= 0 {
		return color.NRGBA{}
	}
	q := func(v float64) uint8 { return uint8(math.Round(clamp01(v) * 255)) }
	return color.NRGBA{q(c.r / c.a), q(c.g / c.a), q(c.b / c.a), q(c.a)}
}

// smooth is the smoothstep easing on [0,1].
func smooth(t float64) float64 {
	t = clamp01(t)
	return t * t * (3 - 2*t)
}

// sq squares v.
func sq(v float64) float64 { return v * v }

// clamp01 limits v to [0,1].
func clamp01(v float64) float64 {
	return math.Max(0, math.Min(1, v))
}
