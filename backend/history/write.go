package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Add records one sample of an item's metric, taken at t. It only touches
// memory; Tick writes the file.
func (s *Store) Add(item, metric string, t time.Time, v float64) {
	s.Merge(item, metric, Second, t, Bucket{Min: v, Max: v, Sum: v, Count: 1})
}

// Merge folds an already summarised bucket of tier from, at t, into that
// tier and every coarser one: what Add does with one sample, and how a
// backfill or import writes whole minutes.
func (s *Store) Merge(item, metric string, from Tier, t time.Time, b Bucket) {
	if b.Count == 0 || !finite(b.Min) || !finite(b.Max) || !finite(b.Sum) {
		return // nothing measured, or nothing a chart can show
	}
	sec := t.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	sr := s.seriesLocked(item, metric)
	for tier := from; tier < numTiers; tier++ {
		oc := s.openLocked(sr, tier, sec)
		oc.slot(tier.slotOf(sec), tiers[tier].slots).merge(b)
		oc.dirty = true
	}
	s.lastSec = max(s.lastSec, sec)
}

// SeeItem notes that an item exists at t under name, seen through where.
func (s *Store) SeeItem(key string, kind Kind, name, where string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.items[key]
	if it == nil {
		it = &Item{Key: key, Kind: kind, First: t}
		s.items[key] = it
	}
	if it.Name != name || it.Where != where || t.Sub(it.Last) >= time.Minute || t.Before(it.First) {
		s.dirtyItem[key] = true
	}
	it.Name, it.Where = name, where
	if t.After(it.Last) {
		it.Last = t
	}
	if t.Before(it.First) {
		it.First = t
	}
}

// Record adds an event to the timeline; it is written with the next flush.
func (s *Store) Record(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.events = append(s.events, e)
	}
}

// Tick writes what is buffered when Options.FlushEvery of sample time has
// passed since the last write, so the file sees one commit per minute
// however often samples come. now is the time of the latest samples.
func (s *Store) Tick(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Unix()-s.flushedAt < int64(s.opts.FlushEvery/time.Second) {
		return nil
	}
	return s.flushLocked()
}

// Flush writes what is buffered now.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Store) seriesLocked(item, metric string) *series {
	n := seriesName{item, metric}
	sr := s.series[n]
	if sr == nil {
		sr = &series{id: s.nextID}
		s.nextID++
		s.series[n] = sr
		s.newSeries = append(s.newSeries, n)
	}
	return sr
}

// openLocked returns the open chunk of tier holding sec, writing out the
// one it replaces and reading the stored one back when it may exist.
func (s *Store) openLocked(sr *series, tier Tier, sec int64) *openChunk {
	oc := &sr.open[tier]
	start := tier.chunkStart(sec)
	if len(oc.slots) > 0 && oc.start == start {
		return oc
	}
	if len(oc.slots) > 0 && oc.dirty {
		s.pending[tier][string(chunkKey(sr.id, oc.start))] = oc.encode()
	}
	oc.start, oc.dirty = start, false
	oc.slots = nil
	key := chunkKey(sr.id, start)
	stored, ok := s.pending[tier][string(key)]
	if !ok && start <= s.lastSec {
		// A chunk already started: after a restart, or a clock that went back.
		_ = guard(func() error {
			return s.db.View(func(tx *bolt.Tx) error {
				if v := tx.Bucket(tierBuckets[tier]).Get(key); v != nil {
					stored = append([]byte(nil), v...)
				}
				return nil
			})
		})
	}
	if stored != nil {
		if b, err := decodeChunk(stored, tiers[tier].slots); err == nil {
			oc.hold(b)
		}
	}
	return oc
}

// flushLocked writes the dirty chunks, items and events in one
// transaction. On failure (a full disk) everything stays buffered and the
// next flush tries again; the notice says why meanwhile.
func (s *Store) flushLocked() error {
	for _, sr := range s.series {
		for tier := range numTiers {
			if oc := &sr.open[tier]; oc.dirty {
				s.pending[tier][string(chunkKey(sr.id, oc.start))] = oc.encode()
				oc.dirty = false
			}
		}
	}
	prune := s.lastSec-s.prunedAt >= 3600
	now := s.opts.Now().Unix()
	if prune {
		s.checkSizeLocked()
	}
	keeps := s.keepsLocked()
	err := guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			sb := tx.Bucket(bucketSeries)
			for _, n := range s.newSeries {
				if err := sb.Put(seriesKey(n.item, n.metric), binary.BigEndian.AppendUint32(nil, s.series[n].id)); err != nil {
					return err
				}
			}
			for tier := range numTiers {
				b := tx.Bucket(tierBuckets[tier])
				// Chunks of a series only grow at its end: fuller pages on split.
				b.FillPercent = 0.9
				for k, v := range s.pending[tier] {
					if err := b.Put([]byte(k), v); err != nil {
						return err
					}
				}
			}
			ib := tx.Bucket(bucketItems)
			for k := range s.dirtyItem {
				v, _ := json.Marshal(s.items[k])
				if err := ib.Put([]byte(k), v); err != nil {
					return err
				}
			}
			eb := tx.Bucket(bucketEvents)
			for _, e := range s.events {
				seq, _ := eb.NextSequence()
				k := binary.BigEndian.AppendUint64(nil, uint64(e.Time.UnixNano()))
				k = binary.BigEndian.AppendUint64(k, seq)
				v, _ := json.Marshal(e)
				if err := eb.Put(k, v); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketMeta).Put(keyLast, binary.BigEndian.AppendUint64(nil, uint64(s.lastSec))); err != nil {
				return err
			}
			if prune {
				return pruneTx(tx, now, keeps)
			}
			return nil
		})
	})
	s.flushedAt = s.lastSec
	if err != nil {
		s.notice = fmt.Sprintf("cannot write the history store %s (%v): the last minutes stay in memory and are written when it works again; %s", s.path, err, writeAdvice(err))
		return fmt.Errorf("history: %s", s.notice)
	}
	s.notice = ""
	s.commits++
	s.newSeries = s.newSeries[:0]
	for tier := range numTiers {
		clear(s.pending[tier])
	}
	clear(s.dirtyItem)
	s.events = s.events[:0]
	if prune {
		s.prunedAt = s.lastSec
	}
	return nil
}

func writeAdvice(err error) string {
	if errors.Is(err, syscall.ENOSPC) {
		return "the disk is full: free some space"
	}
	return "check the disk"
}

// pruneTx deletes the chunks and events older than their tier keeps.
func pruneTx(tx *bolt.Tx, now int64, keep [numTiers]time.Duration) error {
	for tier := range numTiers {
		cutoff := now - int64(keep[tier]/time.Second) - int64(tier.chunkSpan()/time.Second)
		c := tx.Bucket(tierBuckets[tier]).Cursor()
		for k, _ := c.First(); k != nil; {
			if len(k) == 12 && int64(binary.BigEndian.Uint64(k[4:])) < cutoff {
				kk := append([]byte(nil), k...)
				if err := c.Delete(); err != nil {
					return err
				}
				k, _ = c.Seek(kk)
				continue
			}
			// Skip the rest of this series: its chunks are in time order.
			if len(k) < 4 {
				k, _ = c.Next()
				continue
			}
			next := binary.BigEndian.Uint32(k) + 1
			if next == 0 {
				break
			}
			k, _ = c.Seek(binary.BigEndian.AppendUint32(nil, next))
		}
	}
	cutoff := uint64((now - int64(keep[HalfHour]/time.Second)) * int64(time.Second))
	c := tx.Bucket(bucketEvents).Cursor()
	for k, _ := c.First(); k != nil && len(k) >= 8 && binary.BigEndian.Uint64(k) < cutoff; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) < math.MaxFloat32
}
