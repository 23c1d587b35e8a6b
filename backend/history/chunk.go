package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// chunkVersion is the first byte of every encoded chunk. Version 2 stored
// min and max at the average's resolution; version 3 (written now) stores
// their distances from the average in steps of spreadStep, rounded outward,
// and both are read.
const chunkVersion = 3

// spreadStep is how many quantisation steps one stored unit of a min or
// max distance is in version 3: 1/256 of the chunk's range, so a bucket's
// spread fits one byte each side. The average keeps 1/4095; the chunk's
// lowest and highest value stay exact.
const spreadStep = 16

// quantSteps is the resolution of a stored min, max or average between the
// chunk's lowest and highest value: 1/4095 of that range, finer than a
// chart's pixels (a day of CPU from 0 to 100 % in steps of 0.025 %). The
// chunk's extremes themselves are stored exactly (as float32), so a spike
// keeps its height at every zoom.
const quantSteps = 4095

// maxCount bounds a bucket's sample count when decoding (a 30 min bucket
// holds at most 1800 one-second samples).
const maxCount = 1 << 20

// Bucket tags: 0 is a gap; otherwise bit 0 is set, bit 1 says min, max and
// average are one value, and the rest is the count, 0 meaning "as the
// previous bucket" (the usual case: one byte). In version 3 bit 2 says the
// min and max distances share one byte (a nibble each) and the count
// starts at bit 3.
const (
	tagPresent = 1
	tagSingle  = 2
	tagPacked  = 4
)

// countShift is where a tag's count starts, by chunk version.
func countShift(version byte) uint {
	if version == 2 {
		return 2
	}
	return 3
}

// encodeChunk packs a chunk of gaps empty buckets followed by slots: a header with the lowest and highest
// value, then per bucket a tag with its count, its average quantised and
// delta-coded against the previous bucket's, and its min and max as
// distances below and above that average. A gap costs one byte; a bucket of
// one sample (the 1 s tier) or of a constant stores one value.
func encodeChunk(dst []byte, gaps int, slots []Bucket) []byte {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, b := range slots {
		if b.Count == 0 {
			continue
		}
		lo = min(lo, float32(b.Min))
		hi = max(hi, float32(b.Max))
	}
	if lo > hi {
		lo, hi = 0, 0
	}
	dst = append(dst, chunkVersion)
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(lo))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(hi))
	dst = binary.AppendUvarint(dst, uint64(gaps+len(slots)))
	for range gaps {
		dst = append(dst, 0)
	}
	q := quantizer{lo: float64(lo), hi: float64(hi)}
	var pAvg int64
	var pCount uint32
	for _, b := range slots {
		if b.Count == 0 {
			dst = append(dst, 0)
			continue
		}
		qMin, qMax := q.q(b.Min), q.q(b.Max)
		qAvg := min(max(q.q(b.Avg()), qMin), qMax)
		tag := uint64(tagPresent)
		// Rounded outward: the stored envelope never hides a value.
		below, above := (qAvg-qMin+spreadStep-1)/spreadStep, (qMax-qAvg+spreadStep-1)/spreadStep
		if qMin == qMax {
			tag |= tagSingle
		} else if below < 16 && above < 16 {
			tag |= tagPacked
		}
		if b.Count != pCount {
			tag |= uint64(b.Count) << countShift(chunkVersion)
		}
		dst = binary.AppendUvarint(dst, tag)
		dst = binary.AppendVarint(dst, qAvg-pAvg)
		switch {
		case tag&tagSingle != 0:
		case tag&tagPacked != 0:
			dst = append(dst, byte(below<<4|above))
		default:
			dst = binary.AppendUvarint(dst, uint64(below))
			dst = binary.AppendUvarint(dst, uint64(above))
		}
		pAvg, pCount = qAvg, b.Count
	}
	return dst
}

// errDamagedChunk says a stored chunk cannot be read back.
var errDamagedChunk = errors.New("damaged history chunk")

// decodeChunk unpacks what encodeChunk wrote into want buckets; a chunk of
// fewer buckets (a day-long 30 min chunk from before the week-long ones)
// leaves the rest empty. Anything else (a damaged or foreign value) is an
// error, never a panic.
func decodeChunk(src []byte, want int) ([]Bucket, error) {
	if len(src) < 9 || src[0] != chunkVersion && src[0] != 2 {
		return nil, fmt.Errorf("%w: bad header", errDamagedChunk)
	}
	unit := int64(1)
	if src[0] == 3 {
		unit = spreadStep
	}
	q := quantizer{
		lo: float64(math.Float32frombits(binary.LittleEndian.Uint32(src[1:]))),
		hi: float64(math.Float32frombits(binary.LittleEndian.Uint32(src[5:]))),
	}
	if math.IsNaN(q.lo) || math.IsInf(q.lo, 0) || math.IsNaN(q.hi) || math.IsInf(q.hi, 0) || q.lo > q.hi {
		return nil, fmt.Errorf("%w: bad range", errDamagedChunk)
	}
	r := reader{b: src[9:]}
	n := r.uvarint()
	if r.err != nil || n == 0 || n > uint64(want) {
		return nil, fmt.Errorf("%w: %d buckets, want %d", errDamagedChunk, n, want)
	}
	out := make([]Bucket, want)
	var pAvg int64
	var pCount uint64
	for i := range out[:n] {
		tag := r.uvarint()
		if tag == 0 {
			continue
		}
		if tag&tagPresent == 0 {
			return nil, fmt.Errorf("%w: bad tag", errDamagedChunk)
		}
		count := tag >> countShift(src[0])
		if count == 0 {
			count = pCount
		}
		if count == 0 || count > maxCount {
			return nil, fmt.Errorf("%w: bad count", errDamagedChunk)
		}
		pAvg += r.varint()
		qMin, qMax := pAvg, pAvg
		switch {
		case tag&tagSingle != 0:
		case src[0] == 3 && tag&tagPacked != 0:
			nb := r.byte()
			qMin = max(qMin-int64(nb>>4)*unit, 0)
			qMax = min(qMax+int64(nb&15)*unit, quantSteps)
		default:
			qMin = max(qMin-int64(min(r.uvarint(), quantSteps+1))*unit, 0)
			qMax = min(qMax+int64(min(r.uvarint(), quantSteps+1))*unit, quantSteps)
		}
		if r.err != nil {
			return nil, r.err
		}
		if qMin < 0 || qMax > quantSteps || pAvg < 0 || pAvg > quantSteps {
			return nil, fmt.Errorf("%w: value out of range", errDamagedChunk)
		}
		c := float64(count)
		out[i] = Bucket{Min: q.v(qMin), Max: q.v(qMax), Sum: q.v(pAvg) * c, Count: uint32(count)}
		pCount = count
	}
	if r.err == nil && len(r.b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", errDamagedChunk)
	}
	return out, r.err
}

// quantizer maps values in [lo, hi] to 0..quantSteps and back, exact at
// both ends.
type quantizer struct{ lo, hi float64 }

func (q quantizer) q(v float64) int64 {
	if q.hi <= q.lo {
		return 0
	}
	x := math.Round((v - q.lo) / (q.hi - q.lo) * quantSteps)
	return int64(min(max(x, 0), quantSteps))
}

func (q quantizer) v(x int64) float64 {
	switch x {
	case 0:
		return q.lo
	case quantSteps:
		return q.hi
	}
	return q.lo + float64(x)*(q.hi-q.lo)/quantSteps
}

// reader reads varints and remembers the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated", errDamagedChunk)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated", errDamagedChunk)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// byte reads one byte.
func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = fmt.Errorf("%w: truncated", errDamagedChunk)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}
