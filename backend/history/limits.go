package history

import (
	"fmt"
	"os"
	"time"
)

// Limits bound what the store keeps: how long each tier keeps its buckets
// and how big the file may grow.
type Limits struct {
	// Keep is how long each tier (Second, Minute, HalfHour) keeps its
	// buckets; 0 keeps the tier's default.
	Keep [numTiers]time.Duration
	// MaxBytes caps the file: while it is larger, each hourly prune drops
	// the oldest tenth of the minute and half-hour tiers (down to a day)
	// so freed pages are reused and the file stops growing. 0: no cap.
	MaxBytes int64
}

// Bounds of the settings, so a typo cannot wipe the history.
const (
	minKeep     = time.Hour
	maxKeep     = 10 * 365 * 24 * time.Hour
	minMaxBytes = 1 << 20
	minTrimKeep = 24 * time.Hour // the cap never trims a tier below a day
)

// Validate says, in words for the Settings dialog, what is out of range.
func (l Limits) Validate() error {
	for t, d := range l.Keep {
		if d != 0 && (d < minKeep || d > maxKeep) {
			return fmt.Errorf("the %s tier's retention %s is out of range: give 0 for the default (%s), or 1 h to 10 years",
				Tier(t), d, Tier(t).Retention())
		}
	}
	for t := Second + 1; t < numTiers; t++ {
		if a, b := l.keep(t-1), l.keep(t); b < a {
			return fmt.Errorf("the %s tier keeps %s, less than the finer %s tier's %s: coarser tiers must keep at least as long", t, b, t-1, a)
		}
	}
	if l.MaxBytes != 0 && l.MaxBytes < minMaxBytes {
		return fmt.Errorf("the size cap %d bytes is below 1 MiB: give 0 for no cap, or at least 1 MiB", l.MaxBytes)
	}
	return nil
}

// keep is how long tier t keeps its buckets under l.
func (l Limits) keep(t Tier) time.Duration {
	if l.Keep[t] > 0 {
		return l.Keep[t]
	}
	return t.Retention()
}

// SetLimits puts l into effect from the next prune (within the hour).
func (s *Store) SetLimits(l Limits) error {
	if err := l.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
	return nil
}

// keepLocked is how long tier t keeps its buckets now: the limit, trimmed
// while the file is over its cap.
func (s *Store) keepLocked(t Tier) time.Duration {
	d := s.limits.keep(t)
	if t > Second && s.trim > 0 && s.trim < 1 {
		d = max(min(d, minTrimKeep), time.Duration(float64(d)*s.trim))
	}
	return d
}

// keepsLocked is keepLocked for every tier.
func (s *Store) keepsLocked() [numTiers]time.Duration {
	var out [numTiers]time.Duration
	for t := range numTiers {
		out[t] = s.keepLocked(t)
	}
	return out
}

// checkSizeLocked tightens the trim while the file is over its cap.
func (s *Store) checkSizeLocked() {
	if s.limits.MaxBytes <= 0 {
		return
	}
	fi, err := os.Stat(s.path)
	if err != nil || fi.Size() <= s.limits.MaxBytes {
		return
	}
	if s.trim <= 0 {
		s.trim = 1
	}
	s.trim *= 0.9
}
