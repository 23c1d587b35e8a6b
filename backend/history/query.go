package history

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Query asks for one series over [From, To).
type Query struct {
	Item, Metric string
	From, To     time.Time
	// Points is the most buckets wanted (a chart's width in pixels); the
	// finest tier that fits is used and adjacent buckets are merged when
	// even the coarsest has more. 0 means the finest tier that still holds
	// From, unmerged.
	Points int
}

// Point is one bucket of a series: Count 0 is a gap.
type Point struct {
	Time time.Time // start of the bucket
	Bucket
}

// Range is a stretch of time.
type Range struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Series is a query's answer: every bucket of the range, gaps included, and
// the gaps as ranges so a chart draws them as gaps.
type Series struct {
	Item, Metric string
	Tier         Tier
	Step         time.Duration
	Points       []Point
	Gaps         []Range
}

// Read answers q from the file and the buckets still in memory.
func (s *Store) Read(q Query) (Series, error) {
	if !q.To.After(q.From) {
		return Series{}, fmt.Errorf("history: empty range %s to %s", q.From, q.To)
	}
	s.mu.Lock()
	keeps := s.keepsLocked()
	s.mu.Unlock()
	tier := pickTier(s.opts.Now(), q, keeps)
	step := int64(tier.Step() / time.Second)
	from := floorDiv(q.From.Unix(), step) * step
	to := q.To.Unix()
	n := int((to - from + step - 1) / step)
	pts := make([]Bucket, n)

	s.mu.Lock()
	sr := s.series[seriesName{q.Item, q.Metric}]
	var mem []openChunk
	if sr != nil {
		oc := &sr.open[tier]
		mem = []openChunk{{start: oc.start + int64(oc.first)*step, slots: slices.Clone(oc.slots)}}
		id := sr.id
		for k, v := range s.pending[tier] {
			if binary.BigEndian.Uint32([]byte(k)) == id {
				if b, err := decodeChunk(v, tiers[tier].slots); err == nil {
					mem = append(mem, openChunk{start: int64(binary.BigEndian.Uint64([]byte(k)[4:])), slots: b})
				}
			}
		}
	}
	s.mu.Unlock()
	out := Series{Item: q.Item, Metric: q.Metric, Tier: tier, Step: tier.Step()}
	if sr == nil {
		return finish(out, from, step, pts, q.Points), nil
	}
	place := func(start int64, slots []Bucket) {
		for i, b := range slots {
			t := start + int64(i)*step
			// Empty buckets are skipped: a day-long chunk from before the
			// week-long ones must not blank the week's chunk after it.
			if b.Count != 0 && t >= from && t < to {
				pts[(t-from)/step] = b
			}
		}
	}
	err := guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(tierBuckets[tier]).Cursor()
			first := tier.chunkStart(from)
			for k, v := c.Seek(chunkKey(sr.id, first)); k != nil && len(k) == 12 && binary.BigEndian.Uint32(k) == sr.id; k, v = c.Next() {
				start := int64(binary.BigEndian.Uint64(k[4:]))
				if start >= to {
					break
				}
				slots, err := decodeChunk(v, tiers[tier].slots)
				if err != nil {
					return fmt.Errorf("history: %s %s at %s: %w", q.Item, q.Metric, time.Unix(start, 0).UTC(), err)
				}
				place(start, slots)
			}
			return nil
		})
	})
	for _, m := range mem {
		if m.slots != nil {
			place(m.start, m.slots)
		}
	}
	return finish(out, from, step, pts, q.Points), err
}

// pickTier is the finest tier that still holds q.From and, when q.Points is
// set, fits the range in that many buckets.
func pickTier(now time.Time, q Query, keep [numTiers]time.Duration) Tier {
	for t := Second; t < numTiers; t++ {
		if q.From.Before(now.Add(-keep[t])) {
			continue
		}
		if q.Points > 0 && q.To.Sub(q.From)/t.Step() > time.Duration(q.Points) {
			continue
		}
		return t
	}
	return HalfHour
}

// finish merges buckets down to at most points and lists the gaps.
func finish(out Series, from, step int64, b []Bucket, points int) Series {
	k := 1
	if points > 0 && len(b) > points {
		k = (len(b) + points - 1) / points
		out.Step *= time.Duration(k)
	}
	for i := 0; i < len(b); i += k {
		var m Bucket
		for _, x := range b[i:min(i+k, len(b))] {
			m.merge(x)
		}
		out.Points = append(out.Points, Point{Time: time.Unix(from+int64(i)*step, 0).UTC(), Bucket: m})
	}
	for i := 0; i < len(out.Points); i++ {
		if out.Points[i].Count != 0 {
			continue
		}
		j := i
		for j < len(out.Points) && out.Points[j].Count == 0 {
			j++
		}
		out.Gaps = append(out.Gaps, Range{From: out.Points[i].Time, To: out.Points[i].Time.Add(time.Duration(j-i) * out.Step)})
		i = j
	}
	return out
}

// Events returns the events in [from, to), oldest first, the buffered ones
// included.
func (s *Store) Events(from, to time.Time) ([]Event, error) {
	var out []Event
	err := guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketEvents).Cursor()
			lo := binary.BigEndian.AppendUint64(nil, uint64(from.UnixNano()))
			for k, v := c.Seek(lo); k != nil && len(k) >= 8 && int64(binary.BigEndian.Uint64(k)) < to.UnixNano(); k, v = c.Next() {
				var e Event
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("history: a damaged event at %s: %w", time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC(), err)
				}
				out = append(out, e)
			}
			return nil
		})
	})
	s.mu.Lock()
	for _, e := range s.events {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, err
}

// Items lists every item the store knows, the deleted ones included, by
// kind then name.
func (s *Store) Items() []Item {
	s.mu.Lock()
	out := make([]Item, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, *it)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Ranked is one VM or container with its figure at a moment.
type Ranked struct {
	Item  Item
	Value float64 // the bucket's average
	Peak  float64 // the bucket's max
}

// Top returns the n VMs and containers using the most CPU and the most
// memory in the finest bucket holding at: what was running then.
func (s *Store) Top(at time.Time, n int) (byCPU, byMem []Ranked, err error) {
	var cands []Item
	for _, it := range s.Items() {
		if it.Kind != KindHost && !at.Before(it.First.Add(-HalfHour.Step())) && !at.After(it.Last.Add(HalfHour.Step())) {
			cands = append(cands, it)
		}
	}
	rank := func(metric string) ([]Ranked, error) {
		var out []Ranked
		for _, it := range cands {
			sr, err := s.Read(Query{Item: it.Key, Metric: metric, From: at, To: at.Add(time.Second)})
			if err != nil {
				return nil, err
			}
			if len(sr.Points) == 0 || sr.Points[0].Count == 0 {
				continue
			}
			out = append(out, Ranked{Item: it, Value: sr.Points[0].Avg(), Peak: sr.Points[0].Max})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Value > out[j].Value })
		return out[:min(n, len(out))], nil
	}
	if byCPU, err = rank(MetricCPU); err != nil {
		return nil, nil, err
	}
	byMem, err = rank(MetricMem)
	return byCPU, byMem, err
}
