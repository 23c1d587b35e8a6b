package ring

import (
	"slices"
	"testing"
)

func TestRing(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		push     []int
		tailN    int
		wantLen  int
		wantTail []int
		wantLast int
	}{
		{"empty", 3, nil, 3, 0, nil, 0},
		{"partly filled", 4, []int{1, 2}, 4, 2, []int{1, 2}, 2},
		{"exactly full", 3, []int{1, 2, 3}, 3, 3, []int{1, 2, 3}, 3},
		{"wrapped", 3, []int{1, 2, 3, 4, 5}, 3, 3, []int{3, 4, 5}, 5},
		{"tail shorter than held", 5, []int{1, 2, 3, 4, 5, 6, 7}, 2, 5, []int{6, 7}, 7},
		{"tail across the seam", 4, []int{1, 2, 3, 4, 5, 6}, 3, 4, []int{4, 5, 6}, 6},
		{"tail zero", 4, []int{1, 2}, 0, 2, nil, 2},
		{"capacity clamped to one", 0, []int{1, 2}, 5, 1, []int{2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New[int](tt.capacity)
			for _, v := range tt.push {
				r.Push(v)
			}
			if r.Len() != tt.wantLen {
				t.Fatalf("Len = %d, want %d", r.Len(), tt.wantLen)
			}
			if got := r.Tail(nil, tt.tailN); !slices.Equal(got, tt.wantTail) {
				t.Fatalf("Tail(%d) = %v, want %v", tt.tailN, got, tt.wantTail)
			}
			last, ok := r.Last()
			if ok != (tt.wantLen > 0) || last != tt.wantLast {
				t.Fatalf("Last = %d, %v; want %d", last, ok, tt.wantLast)
			}
			for i := 0; i < r.Len(); i++ {
				if want := tt.push[len(tt.push)-r.Len()+i]; r.At(i) != want {
					t.Fatalf("At(%d) = %d, want %d", i, r.At(i), want)
				}
			}
		})
	}
}

func TestAtOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("At(1) on a one-value ring did not panic")
		}
	}()
	r := New[int](2)
	r.Push(1)
	r.At(1)
}

func BenchmarkPush(b *testing.B) {
	r := New[float64](3600)
	for i := 0; b.Loop(); i++ {
		r.Push(float64(i))
	}
}
