package history

import "math"

// Bucket is the summary of the samples in one step of a tier. Count 0 means
// nothing was recorded then (Horcrux was not running, or the item did not
// exist): a gap, never a zero.
type Bucket struct {
	Min, Max, Sum float64
	Count         uint32
}

// Avg is the mean of the samples, NaN for a gap.
func (b Bucket) Avg() float64 {
	if b.Count == 0 {
		return math.NaN()
	}
	return b.Sum / float64(b.Count)
}

// add folds one sample into b.
func (b *Bucket) add(v float64) {
	if b.Count == 0 || v < b.Min {
		b.Min = v
	}
	if b.Count == 0 || v > b.Max {
		b.Max = v
	}
	b.Sum += v
	b.Count++
}

// merge folds the summary o into b, so coarser tiers keep the extremes of
// the finer ones.
func (b *Bucket) merge(o Bucket) {
	if o.Count == 0 {
		return
	}
	if b.Count == 0 || o.Min < b.Min {
		b.Min = o.Min
	}
	if b.Count == 0 || o.Max > b.Max {
		b.Max = o.Max
	}
	b.Sum += o.Sum
	b.Count += o.Count
}
