package history

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestLimitsValidate(t *testing.T) {
	ok := []Limits{{}, {Keep: [numTiers]time.Duration{0, 2 * time.Hour, 0}}, {MaxBytes: 300 << 20}}
	for _, l := range ok {
		if err := l.Validate(); err != nil {
			t.Errorf("%+v: %v", l, err)
		}
	}
	bad := []Limits{
		{Keep: [numTiers]time.Duration{time.Minute, 0, 0}},                          // below an hour
		{Keep: [numTiers]time.Duration{0, 0, 20 * 365 * 24 * time.Hour}},            // above ten years
		{Keep: [numTiers]time.Duration{0, 40 * 24 * time.Hour, 7 * 24 * time.Hour}}, // coarser keeps less
		{MaxBytes: 1000},
	}
	for _, l := range bad {
		if err := l.Validate(); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}

// TestRetentionLimit: a shorter minute tier is pruned to it, and reads of
// older times come from the half-hour tier.
func TestRetentionLimit(t *testing.T) {
	dir := t.TempDir()
	clk := &simClock{t: simEpoch.Add(-6 * time.Hour)}
	st := openSim(t, dir, clk)
	defer st.Close()
	if err := st.SetLimits(Limits{Keep: [numTiers]time.Duration{0, 2 * time.Hour, 0}}); err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	for i := range 6 * 3600 {
		at := start.Add(time.Duration(i) * time.Second)
		clk.Set(at)
		st.Add(HostItem, MetricCPU, at, 10)
		if err := st.Tick(at); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	oldest := int64(-1)
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(tierBuckets[Minute]).ForEach(func(k, _ []byte) error {
			if s := int64(binary.BigEndian.Uint64(k[4:])); oldest < 0 || s < oldest {
				oldest = s
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pruned hourly, with a chunk's slack: nothing older than 2 h + 1 h chunk + 1 h between prunes.
	if age := now.Sub(time.Unix(oldest, 0)); age > 4*time.Hour {
		t.Errorf("the oldest minute chunk is %v old, want at most 4 h under a 2 h retention", age)
	}
	sr, err := st.Read(Query{Item: HostItem, Metric: MetricCPU, From: now.Add(-3 * time.Hour), To: now})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Tier != HalfHour {
		t.Errorf("3 h back read from the %s tier, want 30m (the minute tier keeps 2 h)", sr.Tier)
	}
}

// TestSizeCapTrims: over the cap, each prune keeps a tenth less of the
// coarser tiers, never less than a day; the 1 s tier is untouched.
func TestSizeCapTrims(t *testing.T) {
	big := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Store{path: big, limits: Limits{MaxBytes: 1 << 20}}
	s.checkSizeLocked()
	if got, want := s.keepLocked(HalfHour), time.Duration(0.9*float64(HalfHour.Retention())); got != want {
		t.Errorf("after one prune over the cap the 30m tier keeps %v, want %v", got, want)
	}
	for range 100 {
		s.checkSizeLocked()
	}
	if s.keepLocked(Minute) != minTrimKeep || s.keepLocked(HalfHour) != minTrimKeep || s.keepLocked(Second) != time.Hour {
		t.Errorf("after many prunes: %v", s.keepsLocked())
	}
	s.limits.MaxBytes = 4 << 20 // under the cap: no further trim
	before := s.trim
	s.checkSizeLocked()
	if s.trim != before {
		t.Error("trimmed although under the cap")
	}
}
