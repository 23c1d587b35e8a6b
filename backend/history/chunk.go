package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// chunkVersion is the first byte of every encoded chunk.
const chunkVersion = 1

// quantSteps is the resolution of a stored min, max or average between the
// chunk's lowest and highest value: 1/65535 of that range, far finer than a
// chart's pixels. The chunk's extremes themselves are stored exactly (as
// float32), so a spike keeps its height at every zoom.
const quantSteps = 65535

// maxCount bounds a bucket's sample count when decoding (a 30 min bucket
// holds at most 1800 one-second samples).
const maxCount = 1 << 20

// encodeChunk packs a chunk's buckets: a header with the lowest and highest
// value, then per bucket its count and its min, max and average quantised
// and delta-coded against the previous bucket. A gap costs one byte; a
// bucket of one sample (the 1 s tier) stores one value.
func encodeChunk(dst []byte, slots []Bucket) []byte {
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
	dst = binary.AppendUvarint(dst, uint64(len(slots)))
	q := quantizer{lo: float64(lo), hi: float64(hi)}
	var pMin, pMax, pAvg int64
	for _, b := range slots {
		if b.Count == 0 {
			dst = append(dst, 0)
			continue
		}
		qMin, qMax, qAvg := q.q(b.Min), q.q(b.Max), q.q(b.Avg())
		if qMin == qMax && qMax == qAvg {
			dst = binary.AppendUvarint(dst, uint64(b.Count)<<1|1)
			dst = binary.AppendVarint(dst, qAvg-pAvg)
			pMin, pMax, pAvg = qAvg, qAvg, qAvg
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(b.Count)<<1)
		dst = binary.AppendVarint(dst, qMin-pMin)
		dst = binary.AppendVarint(dst, qMax-pMax)
		dst = binary.AppendVarint(dst, qAvg-pAvg)
		pMin, pMax, pAvg = qMin, qMax, qAvg
	}
	return dst
}

// errDamagedChunk says a stored chunk cannot be read back.
var errDamagedChunk = errors.New("damaged history chunk")

// decodeChunk unpacks what encodeChunk wrote into want buckets. Anything
// else (a damaged or foreign value) is an error, never a panic.
func decodeChunk(src []byte, want int) ([]Bucket, error) {
	if len(src) < 9 || src[0] != chunkVersion {
		return nil, fmt.Errorf("%w: bad header", errDamagedChunk)
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
	if r.err != nil || n != uint64(want) {
		return nil, fmt.Errorf("%w: %d buckets, want %d", errDamagedChunk, n, want)
	}
	out := make([]Bucket, want)
	var pMin, pMax, pAvg int64
	for i := range out {
		tag := r.uvarint()
		if tag == 0 {
			continue
		}
		count := tag >> 1
		if count == 0 || count > maxCount {
			return nil, fmt.Errorf("%w: bad count", errDamagedChunk)
		}
		if tag&1 == 1 {
			pAvg += r.varint()
			pMin, pMax = pAvg, pAvg
		} else {
			pMin += r.varint()
			pMax += r.varint()
			pAvg += r.varint()
		}
		if r.err != nil {
			return nil, r.err
		}
		if pMin < 0 || pMax > quantSteps || pAvg < 0 || pAvg > quantSteps || pMin > pMax {
			return nil, fmt.Errorf("%w: value out of range", errDamagedChunk)
		}
		c := float64(count)
		out[i] = Bucket{Min: q.v(pMin), Max: q.v(pMax), Sum: q.v(pAvg) * c, Count: uint32(count)}
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
