// Package rate turns pairs of cumulative readings into rates and percentages.
//
// Every per-second figure Horcrux shows comes from here, so counter resets,
// clock steps and first samples are handled the same way everywhere.
package rate

import "time"

// PerSecond returns how fast a monotonic counter grew between two readings
// taken elapsed apart. It reports false when no honest rate exists: no time
// passed, or the counter went backwards (a reset, a restarted daemon).
func PerSecond(prev, cur uint64, elapsed time.Duration) (float64, bool) {
	if elapsed <= 0 || cur < prev {
		return 0, false
	}
	return float64(cur-prev) / elapsed.Seconds(), true
}

// Pair is PerSecond for two counters read together (read and write, rx
// and tx): false when either has no honest rate, since half a pair is no
// figure.
func Pair(prevA, curA, prevB, curB uint64, elapsed time.Duration) (a, b float64, ok bool) {
	a, okA := PerSecond(prevA, curA, elapsed)
	b, okB := PerSecond(prevB, curB, elapsed)
	return a, b, okA && okB
}

// Percent returns 100 * Δpart / Δwhole between two readings of a part and the
// whole it belongs to (busy CPU time against total CPU time, say). It reports
// false when the whole did not grow or either reading went backwards.
func Percent(prevPart, curPart, prevWhole, curWhole float64) (float64, bool) {
	dWhole := curWhole - prevWhole
	dPart := curPart - prevPart
	if dWhole <= 0 || dPart < 0 {
		return 0, false
	}
	p := 100 * dPart / dWhole
	if p > 100 {
		p = 100
	}
	return p, true
}

// CoreTime returns the share of one core used by a consumer whose cumulative
// CPU time moved from prev to cur while elapsed wall time passed, in percent
// of one core (200 means two cores fully busy), as `docker stats` and
// `virt-top` count it. It reports false for a reset or no elapsed time.
func CoreTime(prev, cur, elapsed time.Duration) (float64, bool) {
	if elapsed <= 0 || cur < prev {
		return 0, false
	}
	return 100 * float64(cur-prev) / float64(elapsed), true
}
