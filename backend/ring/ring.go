// Package ring holds fixed-size histories of samples.
package ring

// Ring keeps the most recent Cap() values pushed into it. The zero value is
// unusable; make one with New. A Ring is not safe for concurrent use: it
// belongs to the one goroutine that samples into it.
type Ring[T any] struct {
	buf  []T
	next int // index the next Push writes to
	full bool
}

// New returns an empty ring that keeps the last capacity values.
func New[T any](capacity int) *Ring[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring[T]{buf: make([]T, capacity)}
}

// Push appends v, dropping the oldest value once the ring is full.
func (r *Ring[T]) Push(v T) {
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
		r.full = true
	}
}

// Len is how many values the ring holds.
func (r *Ring[T]) Len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// Cap is how many values the ring can hold.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// At returns the i-th held value, 0 being the oldest.
func (r *Ring[T]) At(i int) T {
	if i < 0 || i >= r.Len() {
		panic("ring: index out of range")
	}
	if !r.full {
		return r.buf[i]
	}
	return r.buf[(r.next+i)%len(r.buf)]
}

// Last returns the newest value and whether there is one.
func (r *Ring[T]) Last() (T, bool) {
	if r.Len() == 0 {
		var zero T
		return zero, false
	}
	return r.At(r.Len() - 1), true
}

// Tail appends the newest n values (fewer if the ring holds fewer), oldest
// first, to dst and returns it.
func (r *Ring[T]) Tail(dst []T, n int) []T {
	l := r.Len()
	if n > l {
		n = l
	}
	if n <= 0 {
		return dst
	}
	start := l - n
	if !r.full {
		return append(dst, r.buf[start:l]...)
	}
	from := (r.next + start) % len(r.buf)
	if from+n <= len(r.buf) {
		return append(dst, r.buf[from:from+n]...)
	}
	dst = append(dst, r.buf[from:]...)
	return append(dst, r.buf[:n-(len(r.buf)-from)]...)
}
