package history

import (
	"math"
	"testing"
)

func TestChunkRoundTrip(t *testing.T) {
	cases := map[string][]Bucket{
		"all gaps":     make([]Bucket, 60),
		"single":       {{Min: 5, Max: 5, Sum: 5, Count: 1}, {}, {Min: 7, Max: 7, Sum: 7, Count: 1}},
		"spread":       {{Min: 0, Max: 100, Sum: 3000, Count: 60}, {Min: 10, Max: 20, Sum: 900, Count: 60}, {}},
		"negative":     {{Min: -3, Max: 1e9, Sum: 5, Count: 2}},
		"flat nonzero": {{Min: 42, Max: 42, Sum: 42 * 1800, Count: 1800}},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := decodeChunk(encodeChunk(nil, 0, in), len(in))
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, b := range in {
				if b.Count > 0 {
					lo, hi = min(lo, b.Min), max(hi, b.Max)
				}
			}
			tol := (hi-lo)/quantSteps + 1e-9*math.Abs(hi)
			for i := range in {
				a, b := in[i], out[i]
				if a.Count != b.Count {
					t.Fatalf("bucket %d count %d, want %d", i, b.Count, a.Count)
				}
				if a.Count == 0 {
					continue
				}
				// Min and max are coarser than the average, and rounded outward.
				spread := tol * spreadStep
				if b.Min > a.Min+tol || a.Min-b.Min > spread || b.Max < a.Max-tol || b.Max-a.Max > spread || math.Abs(a.Avg()-b.Avg()) > tol {
					t.Fatalf("bucket %d = %+v, want %+v (tolerance %g)", i, b, a, tol)
				}
			}
		})
	}
}

func TestChunkExtremesExact(t *testing.T) {
	in := []Bucket{{Min: 1.25, Max: 99.5, Sum: 500, Count: 10}, {Min: 3, Max: 4, Sum: 7, Count: 2}}
	out, err := decodeChunk(encodeChunk(nil, 0, in), 2)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Min != 1.25 || out[0].Max != 99.5 {
		t.Fatalf("extremes %v..%v, want 1.25..99.5 exactly", out[0].Min, out[0].Max)
	}
}

func TestChunkDamaged(t *testing.T) {
	good := encodeChunk(nil, 0, []Bucket{{Min: 1, Max: 2, Sum: 3, Count: 2}, {}})
	for name, b := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte(nil), good...), 1),
	} {
		if _, err := decodeChunk(b, 2); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, err := decodeChunk(good, 1); err == nil {
		t.Error("more buckets than a chunk holds decoded without error")
	}
	// Fewer is a day-long 30 min chunk from before the week-long ones.
	if b, err := decodeChunk(good, 3); err != nil || len(b) != 3 || b[0].Count != 2 || b[2].Count != 0 {
		t.Errorf("a shorter chunk: %+v, %v", b, err)
	}
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(encodeChunk(nil, 0, []Bucket{{Min: 1, Max: 2, Sum: 3, Count: 2}, {}, {Min: 5, Max: 5, Sum: 5, Count: 1}}), 3)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 4096 {
			return
		}
		out, err := decodeChunk(b, n)
		if err != nil {
			return
		}
		// What decodes must re-encode to buckets that decode the same.
		again, err := decodeChunk(encodeChunk(nil, 0, out), n)
		if err != nil {
			t.Fatalf("re-encoding a decoded chunk: %v", err)
		}
		for i := range out {
			if out[i].Count != again[i].Count {
				t.Fatalf("bucket %d count %d then %d", i, out[i].Count, again[i].Count)
			}
		}
	})
}
