package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the store's file inside its directory.
const FileName = "history.db"

// formatVersion is the layout this code writes; a file with a higher one is
// from a newer Horcrux and is moved aside rather than misread.
const formatVersion = 1

// ErrInUse says another Horcrux holds the store.
var ErrInUse = errors.New("the history store is in use by another Horcrux")

var (
	bucketMeta   = []byte("meta")
	bucketSeries = []byte("series")
	bucketItems  = []byte("items")
	bucketEvents = []byte("events")
	tierBuckets  = [numTiers][]byte{[]byte("t1s"), []byte("t1m"), []byte("t30m")}
	keyVersion   = []byte("version")
	keyLast      = []byte("last")
)

// Options tune a Store; the zero value is what the app uses.
type Options struct {
	// Now is the clock for events and retention; time.Now when nil. Tests
	// and benchmarks pass a simulated one.
	Now func() time.Time
	// FlushEvery is how much sample time is buffered in memory between
	// writes to the file (one commit, so at most one sync, each); one
	// minute when zero. A SIGKILL loses at most this much.
	FlushEvery time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the file; one second when zero.
	LockTimeout time.Duration
}

// Store is the history file and the buckets still filling in memory. Its
// methods are safe from any goroutine.
type Store struct {
	path string
	db   *bolt.DB
	opts Options

	mu        sync.Mutex
	series    map[seriesName]*series
	nextID    uint32
	items     map[string]*Item
	dirtyItem map[string]bool
	events    []Event
	newSeries []seriesName
	pending   [numTiers]map[string][]byte // encoded chunks not yet written
	resumeTo  int64                       // newest sample second in the file when opened
	lastSec   int64                       // newest sample second added
	flushedAt int64                       // sample second of the last flush
	prunedAt  int64
	notice    string // what went wrong, for the user; "" when all is well
	closed    bool
	readOnly  bool
	commits   int // successful flushes, for tests
	limits    Limits
	trim      float64 // share of the coarser tiers' retention kept while over the size cap; 0 or 1: all

	seenMu sync.Mutex // AddSnapshot's previous snapshot
	seen   lastSeen
}

type seriesName struct{ item, metric string }

// series is one metric of one item with its open chunk per tier.
type series struct {
	id   uint32
	open [numTiers]openChunk
}

// openChunk is the chunk of a tier that is filling, kept in memory and
// written at each flush while dirty. It holds only the buckets from the
// first to the last one written: the 30 min tier's chunk is a week, and a
// whole week of empty buckets per series from the first sample on was most
// of the store's memory.
type openChunk struct {
	start int64    // Unix seconds
	first int      // the bucket slots[0] is, inside the chunk
	slots []Bucket // never empty once Merge has opened the chunk: it writes one
	dirty bool
}

// slot is bucket i of a chunk of n buckets, growing the slots to reach it.
func (oc *openChunk) slot(i, n int) *Bucket {
	if len(oc.slots) == 0 {
		oc.first = i
	}
	if i < oc.first { // a clock that went back inside the chunk
		grown := make([]Bucket, oc.first-i+len(oc.slots))
		copy(grown[oc.first-i:], oc.slots)
		oc.slots, oc.first = grown, i
	}
	j := i - oc.first
	if j >= len(oc.slots) {
		if j >= cap(oc.slots) {
			c := n - oc.first // a short chunk at once, a long one by doubling
			if c > 64 {
				c = min(max(2*cap(oc.slots), j+1, 8), c)
			}
			grown := make([]Bucket, j+1, c)
			copy(grown, oc.slots)
			oc.slots = grown
		}
		oc.slots = oc.slots[:j+1]
	}
	return &oc.slots[j]
}

// encode packs the chunk as stored, with its empty buckets before first.
func (oc *openChunk) encode() []byte { return encodeChunk(nil, oc.first, oc.slots) }

// hold keeps of a whole chunk's buckets the ones from the first to the last
// that hold samples.
func (oc *openChunk) hold(all []Bucket) {
	oc.first, oc.slots = 0, nil
	for i, b := range all {
		if b.Count != 0 {
			if oc.slots == nil {
				oc.first = i
			}
			oc.slots = all[oc.first : i+1]
		}
	}
	oc.slots = slices.Clone(oc.slots) // all is the whole chunk: not kept
}

// DefaultDir is where the store lives: $XDG_DATA_HOME/horcrux, else
// ~/.local/share/horcrux.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "horcrux"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no place for the history store (%v): set XDG_DATA_HOME", err)
	}
	return filepath.Join(home, ".local", "share", "horcrux"), nil
}

// Open opens or creates the store in dir. A damaged file, or one from a
// newer Horcrux, is renamed aside and a new one started; Notice then says
// so. A store held by another process gives ErrInUse after
// Options.LockTimeout: the caller runs without history.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Minute
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the history directory %s (%v): Horcrux runs without history; check its permissions and free space", dir, err)
	}
	path := filepath.Join(dir, FileName)
	s, err := openFile(path, opts)
	if err == nil || errors.Is(err, ErrInUse) || !isDamage(err) {
		return s, err
	}
	aside := path + ".damaged-" + opts.Now().UTC().Format("20060102T150405")
	reason := "is damaged"
	if errors.Is(err, errNewerVersion) {
		aside = path + ".newer-" + opts.Now().UTC().Format("20060102T150405")
		reason = "was written by a newer Horcrux"
	}
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("history store %s %s (%v) and cannot be moved aside (%v): Horcrux runs without history; move it away by hand", path, reason, err, rerr)
	}
	s, err2 := openFile(path, opts)
	if err2 != nil {
		return nil, err2
	}
	s.notice = fmt.Sprintf("the history store %s (%v): it was moved to %s and a new one started", reason, err, aside)
	return s, nil
}

var errNewerVersion = errors.New("newer store format")

// damageError marks an error that means the file cannot be used as it is.
type damageError struct{ err error }

func (e damageError) Error() string { return e.err.Error() }
func (e damageError) Unwrap() error { return e.err }

func isDamage(err error) bool {
	var d damageError
	return errors.As(err, &d)
}

func openFile(path string, opts Options) (s *Store, err error) {
	// bbolt panics on some damaged pages instead of returning an error.
	defer func() {
		if r := recover(); r != nil {
			if s != nil && s.db != nil {
				s.db.Close()
			}
			s, err = nil, damageError{fmt.Errorf("unreadable: %v", r)}
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.LockTimeout,
		// The free list is written with each commit: without it, opening
		// reads the whole file to rebuild it (seconds for a year of data).
		FreelistType: bolt.FreelistMapType,
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w (%s): this one runs without history; close the other one to keep history here", ErrInUse, path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, damageError{err}
	case err != nil && isFileContentError(path, err):
		return nil, damageError{err}
	case err != nil:
		return nil, fmt.Errorf("cannot open the history store %s (%v): Horcrux runs without history; check the directory's permissions and free space", path, err)
	}
	s = &Store{path: path, db: db, opts: opts, series: map[seriesName]*series{},
		items: map[string]*Item{}, dirtyItem: map[string]bool{}}
	for t := range numTiers {
		s.pending[t] = map[string][]byte{}
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	s.events = append(s.events, Event{Time: opts.Now(), Kind: EventHorcrux, Action: "started"})
	return s, nil
}

// isFileContentError tells a file that exists but cannot be read as a store
// (too short, garbage) from an I/O problem such as a full disk.
func isFileContentError(path string, err error) bool {
	fi, serr := os.Stat(path)
	return serr == nil && fi.Size() > 0 && !errors.Is(err, os.ErrPermission)
}

// load checks the version and reads the series ids and items.
func (s *Store) load() error {
	// A plain read when the file is set up: a write transaction would load
	// the free list and sync for nothing.
	ready := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range append([][]byte{bucketMeta, bucketSeries, bucketItems, bucketEvents}, tierBuckets[:]...) {
			if tx.Bucket(name) == nil {
				return errors.New("not set up")
			}
		}
		return s.loadTx(tx)
	})
	if ready == nil || isDamage(ready) {
		return ready
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			var err error
			if meta, err = tx.CreateBucket(bucketMeta); err != nil {
				return fmt.Errorf("cannot start the history store %s (%v): Horcrux runs without history; check free space", s.path, err)
			}
			if err := meta.Put(keyVersion, []byte(strconv.Itoa(formatVersion))); err != nil {
				return err
			}
		}
		v, err := strconv.Atoi(string(meta.Get(keyVersion)))
		if err != nil {
			return damageError{fmt.Errorf("unreadable format version %q", meta.Get(keyVersion))}
		}
		if v > formatVersion {
			return damageError{fmt.Errorf("%w %d (this Horcrux reads %d)", errNewerVersion, v, formatVersion)}
		}
		for _, name := range append([][]byte{bucketSeries, bucketItems, bucketEvents}, tierBuckets[:]...) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("cannot start the history store %s (%v): Horcrux runs without history; check free space", s.path, err)
			}
		}
		return s.loadTx(tx)
	})
}

// loadTx reads the version, series ids and items.
func (s *Store) loadTx(tx *bolt.Tx) error {
	{
		meta := tx.Bucket(bucketMeta)
		v, err := strconv.Atoi(string(meta.Get(keyVersion)))
		if err != nil || v > formatVersion {
			return damageError{fmt.Errorf("%w %q (this Horcrux reads %d)", errNewerVersion, meta.Get(keyVersion), formatVersion)}
		}
		if b := meta.Get(keyLast); len(b) == 8 {
			s.resumeTo = int64(binary.BigEndian.Uint64(b))
			s.lastSec, s.flushedAt, s.prunedAt = s.resumeTo, s.resumeTo, s.resumeTo
		}
		err = tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			item, metric, ok := splitSeriesKey(k)
			if !ok || len(v) != 4 {
				return damageError{fmt.Errorf("bad series entry %q", k)}
			}
			id := binary.BigEndian.Uint32(v)
			s.series[seriesName{item, metric}] = &series{id: id}
			s.nextID = max(s.nextID, id+1)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			var it Item
			if json.Unmarshal(v, &it) != nil {
				return damageError{fmt.Errorf("bad item entry %q", k)}
			}
			s.items[string(k)] = &it
			return nil
		})
	}
}

func seriesKey(item, metric string) []byte { return []byte(item + "\x00" + metric) }

func splitSeriesKey(k []byte) (item, metric string, ok bool) {
	for i, c := range k {
		if c == 0 {
			return string(k[:i]), string(k[i+1:]), true
		}
	}
	return "", "", false
}

func chunkKey(id uint32, start int64) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint32(k, id)
	binary.BigEndian.PutUint64(k[4:], uint64(start))
	return k
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Notice says what went wrong with the store (moved aside, a failed write),
// or "" when all is well; the app shows it.
func (s *Store) Notice() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notice
}

// Close writes what is buffered, records that Horcrux stopped and closes the
// file.
func (s *Store) Close() error {
	if s.readOnly {
		return s.db.Close()
	}
	s.Record(Event{Time: s.opts.Now(), Kind: EventHorcrux, Action: "stopped"})
	s.mu.Lock()
	s.closed = true
	err := s.flushLocked()
	s.mu.Unlock()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// OpenReader opens the store in dir for reading only, without a recorder.
// While another Horcrux records into it (holding its lock), it reads a
// private copy of the last commit instead. Close the Store, then call the
// returned cleanup.
func OpenReader(dir string) (*Store, func(), error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("no history at %s (%v): the window and `horcrux exporter` record it while they run", path, err)
	}
	st, err := openReadOnly(path, 200*time.Millisecond)
	if err == nil {
		return st, func() {}, nil
	}
	if !errors.Is(err, bolterrors.ErrTimeout) {
		return nil, nil, fmt.Errorf("cannot read the history store %s: %w", path, err)
	}
	tmp, err := os.MkdirTemp("", "horcrux-history-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	cp := filepath.Join(tmp, FileName)
	if err := copyFile(path, cp); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("cannot copy the history store %s, which another Horcrux is recording into: %w", path, err)
	}
	st, err = openReadOnly(cp, time.Second)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("cannot read a copy of the history store %s: %w", path, err)
	}
	return st, cleanup, nil
}

func openReadOnly(path string, timeout time.Duration) (s *Store, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("damaged: %v", r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	s = &Store{path: path, db: db, opts: Options{Now: time.Now, FlushEvery: time.Minute}, readOnly: true,
		series: map[seriesName]*series{}, items: map[string]*Item{}, dirtyItem: map[string]bool{}}
	for t := range numTiers {
		s.pending[t] = map[string][]byte{}
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil || tx.Bucket(bucketSeries) == nil {
			return errors.New("not a Horcrux history store")
		}
		return s.loadTx(tx)
	}); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// guard runs f and turns a panic (bbolt's answer to some damaged pages) into
// an error, so a file damaged while Horcrux runs never stops the app.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the history store is damaged (%v): restart Horcrux to move it aside and start a new one", r)
		}
	}()
	return f()
}
