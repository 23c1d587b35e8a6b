// Package history keeps the host, every VM and every container over time in
// an embedded store (one bbolt file), in three tiers of buckets that each
// keep min, max, average and count, with events on the same timeline.
package history

import "time"

// Tier is one resolution of the store.
type Tier int

// The tiers, finest first.
const (
	Second   Tier = iota // 1 s buckets for the last hour
	Minute               // 1 min buckets for 30 days
	HalfHour             // 30 min buckets for 2 years
	numTiers
)

// tierSpec is the fixed layout of a tier: bucket width, buckets per stored
// chunk (a chunk is one key in the file) and how long it is kept.
type tierSpec struct {
	step      time.Duration
	slots     int
	retention time.Duration
	name      string
}

// A chunk is small (one minute, one hour or one week) so the chunk still
// filling is rewritten cheaply once a minute. The 30 min tier's chunks were
// a day (48 buckets) before chunk format 3: such chunks are still read, at
// their own start.
var tiers = [numTiers]tierSpec{
	Second:   {time.Second, 60, time.Hour, "1s"},
	Minute:   {time.Minute, 60, 30 * 24 * time.Hour, "1m"},
	HalfHour: {30 * time.Minute, 7 * 48, 2 * 365 * 24 * time.Hour, "30m"},
}

// Step is the width of one bucket of t.
func (t Tier) Step() time.Duration { return tiers[t].step }

// Retention is how long buckets of t are kept.
func (t Tier) Retention() time.Duration { return tiers[t].retention }

// String names t as the CLI and JSON show it ("1s", "1m", "30m").
func (t Tier) String() string {
	if t < 0 || t >= numTiers {
		return "?"
	}
	return tiers[t].name
}

// chunkSpan is the time one chunk of t covers.
func (t Tier) chunkSpan() time.Duration { return tiers[t].step * time.Duration(tiers[t].slots) }

// chunkStart is the start, in Unix seconds, of the chunk of t holding sec.
func (t Tier) chunkStart(sec int64) int64 {
	span := int64(t.chunkSpan() / time.Second)
	return floorDiv(sec, span) * span
}

// slotOf is the bucket index of sec inside its chunk of t.
func (t Tier) slotOf(sec int64) int {
	return int((sec - t.chunkStart(sec)) / int64(tiers[t].step/time.Second))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
