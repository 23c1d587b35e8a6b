package vm

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// ReplayBytes bounds what a console replays on attach: the output kept per
// console, and the tail read from a guest console log.
const ReplayBytes = 64 << 10

// byteRing keeps the last bytes written to it, up to its size.
type byteRing struct {
	buf   []byte // allocated on the first write
	size  int
	start int   // index of the oldest byte
	n     int   // bytes held
	total int64 // bytes ever written
}

func newByteRing(size int) *byteRing { return &byteRing{size: size} }

// Write keeps the last r.size bytes of everything written so far.
func (r *byteRing) Write(p []byte) {
	if len(p) == 0 || r.size <= 0 {
		return
	}
	r.total += int64(len(p))
	if r.buf == nil {
		r.buf = make([]byte, r.size)
	}
	if len(p) >= r.size {
		copy(r.buf, p[len(p)-r.size:])
		r.start, r.n = 0, r.size
		return
	}
	end := (r.start + r.n) % r.size
	k := copy(r.buf[end:], p)
	copy(r.buf, p[k:])
	r.n += len(p)
	if r.n > r.size {
		r.start = (r.start + r.n - r.size) % r.size
		r.n = r.size
	}
}

// Bytes returns a copy of the bytes held, oldest first.
func (r *byteRing) Bytes() []byte {
	out := make([]byte, r.n)
	k := copy(out, r.buf[r.start:min(r.start+r.n, len(r.buf))])
	copy(out[k:], r.buf[:r.n-k])
	return out
}

// Dropped reports whether older bytes were written than the ring holds.
func (r *byteRing) Dropped() bool { return r.total > int64(r.n) }

// maxReplayRings bounds the consoles whose output is kept (64 KiB each): a
// window open for months attaches to machines long since deleted.
const maxReplayRings = 64

// consoleHistory is the output seen on each console since it was first
// attached, by host URI, domain UUID and device; the consoles used longest
// ago are forgotten first.
type consoleHistory struct {
	mu    sync.Mutex
	rings map[historyKey]*byteRing
	used  map[historyKey]uint64 // tick of the last record
	tick  uint64
}

type historyKey struct{ uri, uuid, device string }

// record appends output seen on a console.
func (h *consoleHistory) record(k historyKey, p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rings[k]
	if r == nil {
		if h.rings == nil {
			h.rings = make(map[historyKey]*byteRing)
			h.used = make(map[historyKey]uint64)
		}
		if len(h.rings) >= maxReplayRings {
			h.forgetOldest()
		}
		r = newByteRing(ReplayBytes)
		h.rings[k] = r
	}
	h.tick++
	h.used[k] = h.tick
	r.Write(p)
}

// forgetOldest drops the ring recorded to longest ago.
func (h *consoleHistory) forgetOldest() {
	var oldest historyKey
	first := true
	for k, t := range h.used {
		if first || t < h.used[oldest] {
			oldest, first = k, false
		}
	}
	delete(h.rings, oldest)
	delete(h.used, oldest)
}

// snapshot returns what was seen on a console, from a line start when the
// oldest bytes were dropped.
func (h *consoleHistory) snapshot(k historyKey) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rings[k]
	if r == nil {
		return nil
	}
	return fromLineStart(r.Bytes(), r.Dropped())
}

// fromLineStart drops a partial first line (a cut escape sequence or UTF-8
// character would show as garbage) when b is the tail of a longer output.
func fromLineStart(b []byte, cut bool) []byte {
	if !cut {
		return b
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// readLogTail returns the last max bytes of a guest console log, from a
// line start, or nil when it cannot be read (not there, not allowed): the
// log is extra, and its absence is not worth a message.
func readLogTail(path string, max int) []byte {
	if path == "" || max <= 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	off := st.Size() - int64(max)
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, int64(max)))
	if err != nil || len(b) == 0 {
		return nil
	}
	return fromLineStart(b, off > 0)
}
