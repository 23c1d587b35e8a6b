// Command historydb compares the two embedded stores considered for the
// history (issue 12), bbolt and SQLite (modernc.org/sqlite, pure Go), on
// the history's own workload: every minute one transaction writes, for each
// of 910 series (host, 100 VMs, 50 containers), a new 1 s chunk and
// rewrites the filling 1 min and 30 min chunks; a chart reads one series'
// chunks over a range. Both get the same keys and the same bytes.
//
//	go run . -dir /var/tmp/historydb
package main

import (
	"database/sql"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
	_ "modernc.org/sqlite"
)

const series = 910

// Chunk sizes as the history's encoder makes them for the simulated data.
var sizes = [3]int{130, 250, 230}

type store interface {
	// minute writes one minute's chunks in one durable transaction.
	minute(m int64, blob func(tier int, n int) []byte) error
	// bulk writes the chunks of many hours quickly (read-test set-up).
	bulk(id uint32, tier int, starts []int64, v []byte) error
	read(id uint32, tier int, from, to int64) (int, error)
	files() []string
	close() error
}

func key(id uint32, tier int, start int64) []byte {
	k := binary.BigEndian.AppendUint32(nil, id)
	k = append(k, byte(tier))
	return binary.BigEndian.AppendUint64(k, uint64(start))
}

type boltStore struct{ db *bolt.DB }

func (s boltStore) minute(m int64, blob func(int, int) []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte("c"))
		for id := uint32(0); id < series; id++ {
			starts := [3]int64{m * 60, m / 60 * 3600, m / 1440 * 86400}
			for t := range 3 {
				if err := b.Put(key(id, t, starts[t]), blob(t, sizes[t])); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (s boltStore) bulk(id uint32, tier int, starts []int64, v []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte("c"))
		for _, st := range starts {
			if err := b.Put(key(id, tier, st), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s boltStore) read(id uint32, tier int, from, to int64) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("c")).Cursor()
		hi := key(id, tier, to)
		for k, v := c.Seek(key(id, tier, from)); k != nil && string(k) < string(hi); k, v = c.Next() {
			n += len(v)
		}
		return nil
	})
	return n, err
}

func (s boltStore) files() []string { return []string{s.db.Path()} }
func (s boltStore) close() error    { return s.db.Close() }

type sqliteStore struct {
	db   *sql.DB
	path string
}

func openSQLite(path string) (*sqliteStore, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(1000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS chunks(series INTEGER, tier INTEGER, start INTEGER, data BLOB,
		PRIMARY KEY(series, tier, start)) WITHOUT ROWID`)
	return &sqliteStore{db, path}, err
}

func (s *sqliteStore) put(tx *sql.Tx, rows func(ins *sql.Stmt) error) error {
	ins, err := tx.Prepare(`INSERT OR REPLACE INTO chunks(series, tier, start, data) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	return rows(ins)
}

func (s *sqliteStore) minute(m int64, blob func(int, int) []byte) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	err = s.put(tx, func(ins *sql.Stmt) error {
		for id := range series {
			starts := [3]int64{m * 60, m / 60 * 3600, m / 1440 * 86400}
			for t := range 3 {
				if _, err := ins.Exec(id, t, starts[t], blob(t, sizes[t])); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) bulk(id uint32, tier int, starts []int64, v []byte) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	err = s.put(tx, func(ins *sql.Stmt) error {
		for _, st := range starts {
			if _, err := ins.Exec(id, tier, st, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) read(id uint32, tier int, from, to int64) (int, error) {
	rows, err := s.db.Query(`SELECT data FROM chunks WHERE series = ? AND tier = ? AND start >= ? AND start < ? ORDER BY start`, id, tier, from, to)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return 0, err
		}
		n += len(b)
	}
	return n, rows.Err()
}

func (s *sqliteStore) files() []string { return []string{s.path, s.path + "-wal"} }
func (s *sqliteStore) close() error {
	s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.db.Close()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func size(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func dropCache(paths []string) {
	for _, p := range paths {
		if f, err := os.Open(p); err == nil {
			unix.Fdatasync(int(f.Fd()))
			unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
			f.Close()
		}
	}
}

func median(ds []time.Duration) (time.Duration, time.Duration, time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], ds[0], ds[len(ds)-1]
}

func run(name, dir string, minutes int, open func(string) (store, error)) error {
	path := filepath.Join(dir, name+".db")
	os.Remove(path)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	st, err := open(path)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 512)
	blob := func(_, n int) []byte {
		for i := range n {
			buf[i] = byte(rng.Uint32())
		}
		return buf[:n]
	}
	var per []time.Duration
	cpu0 := cpuTime()
	for m := range int64(minutes) {
		c := cpuTime()
		if err := st.minute(m, blob); err != nil {
			return err
		}
		per = append(per, cpuTime()-c)
	}
	cpu := cpuTime() - cpu0
	med, lo, hi := median(per)
	fmt.Printf("%-7s write: %d one-minute commits of %d series x 3 chunks: CPU %.3f %% of a core per second of samples (commit median %s, range %s..%s)\n",
		name, minutes, series, float64(cpu)/float64(minutes)/60e9*100, med.Round(time.Microsecond), lo.Round(time.Microsecond), hi.Round(time.Microsecond))
	fmt.Printf("%-7s disk: %.1f MB after %d minutes (%.0f bytes per series-minute; the chunks themselves are %d)\n",
		name, float64(size(st.files()))/1e6, minutes, float64(size(st.files()))/float64(series*minutes), sizes[0]+0)
	// Read set-up: 30 days of 1 min chunks (720) and 2 years of 30 min
	// chunks (730) for series 0.
	var hours, days []int64
	for h := range int64(720) {
		hours = append(hours, h*3600)
	}
	for d := range int64(730) {
		days = append(days, d*86400)
	}
	if err := st.bulk(0, 1, hours, make([]byte, sizes[1])); err != nil {
		return err
	}
	if err := st.bulk(0, 2, days, make([]byte, sizes[2])); err != nil {
		return err
	}
	st.close()
	for _, q := range []struct {
		what     string
		tier     int
		from, to int64
	}{{"30 days of 1 min chunks", 1, 0, 720 * 3600}, {"1 year of 30 min chunks", 2, 365 * 86400, 730 * 86400}} {
		var ds []time.Duration
		for range 7 {
			dropCache([]string{path, path + "-wal"})
			t := time.Now()
			st, err = open(path)
			if err != nil {
				return err
			}
			n, err := st.read(0, q.tier, q.from, q.to)
			if err != nil || n == 0 {
				return fmt.Errorf("read: %v (%d bytes)", err, n)
			}
			ds = append(ds, time.Since(t))
			st.close()
		}
		med, lo, hi := median(ds)
		fmt.Printf("%-7s cold open + read %s: median %s (range %s..%s)\n", name, q.what, med.Round(time.Microsecond), lo.Round(time.Microsecond), hi.Round(time.Microsecond))
	}
	return nil
}

func main() {
	dir := flag.String("dir", "/var/tmp/historydb", "directory for the two files (on a real disk)")
	minutes := flag.Int("minutes", 240, "minutes of writes")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(*dir)
	err := run("bbolt", *dir, *minutes, func(p string) (store, error) {
		db, err := bolt.Open(p, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
		return boltStore{db}, err
	})
	if err == nil {
		err = run("sqlite", *dir, *minutes, func(p string) (store, error) { return openSQLite(p) })
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "historydb:", err)
		os.Exit(1)
	}
}
