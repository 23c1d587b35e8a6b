package history

import (
	"os"
	"path/filepath"
	"time"
)

// Info is where the store is, how big its file is and what it holds, for
// the Diagnostics tab and `horcrux doctor`.
type Info struct {
	Path   string
	Size   int64     // bytes of the file
	Oldest time.Time // first sample of any item; zero when there is none
	Newest time.Time // latest sample of any item
	Items  int       // host, VMs and containers recorded
}

// Info describes the store.
func (s *Store) Info() Info {
	in := Info{Path: s.path}
	if fi, err := os.Stat(s.path); err == nil {
		in.Size = fi.Size()
	}
	for _, it := range s.Items() {
		in.Items++
		if !it.First.IsZero() && (in.Oldest.IsZero() || it.First.Before(in.Oldest)) {
			in.Oldest = it.First
		}
		if it.Last.After(in.Newest) {
			in.Newest = it.Last
		}
	}
	return in
}

// Inspect describes the store in dir without recording into it, also
// while another Horcrux records there (see OpenReader).
func Inspect(dir string) (Info, error) {
	st, cleanup, err := OpenReader(dir)
	if err != nil {
		return Info{Path: filepath.Join(dir, FileName)}, err
	}
	defer cleanup()
	in := st.Info()
	st.Close()
	in.Path = filepath.Join(dir, FileName)
	if fi, err := os.Stat(in.Path); err == nil {
		in.Size = fi.Size()
	}
	return in, nil
}
