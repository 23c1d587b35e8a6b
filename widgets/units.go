package widgets

import (
	"fmt"
	"math"
	"strings"
)

// Unit says how a chart formats its values.
type Unit int

// Units of chart values.
const (
	UnitNumber      Unit = iota // plain number, like a load average
	UnitPercent                 // 0..100
	UnitBytes                   // bytes, binary prefixes
	UnitBytesPerSec             // bytes per second, binary prefixes
)

// Format renders v in unit u; NaN, the mark of a missing sample, is "—".
func (u Unit) Format(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch u {
	case UnitPercent:
		return fmt.Sprintf("%.1f %%", v)
	case UnitBytes:
		return FormatBytes(v)
	case UnitBytesPerSec:
		return FormatBytes(v) + "/s"
	default:
		return trimZeros(fmt.Sprintf("%.2f", v))
	}
}

// FormatBytes renders a byte count with binary prefixes: 0 B, 512 B, 1.5 KiB, 12 MiB.
func FormatBytes(v float64) string {
	const units = "KMGTPE"
	if math.Abs(v) < 1024 {
		return fmt.Sprintf("%.0f B", v)
	}
	i := -1
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	prec := 1
	if math.Abs(v) >= 100 {
		prec = 0
	}
	return trimZeros(fmt.Sprintf("%.*f", prec, v)) + " " + string(units[i]) + "iB"
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// niceCeil returns the smallest 1, 2 or 5 times a power of ten (or, for
// bytes, of 1024) at or above v, so axis maxima read as round numbers.
func niceCeil(v float64, u Unit) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	if u == UnitBytes || u == UnitBytesPerSec {
		if v < 1024 {
			return niceDecimal(v)
		}
		p := math.Pow(1024, math.Floor(math.Log(v)/math.Log(1024)))
		return niceDecimal(v/p) * p
	}
	return niceDecimal(v)
}

func niceDecimal(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}
