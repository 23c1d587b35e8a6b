package rate

import (
	"math"
	"testing"
	"time"
)

func TestPerSecond(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur uint64
		elapsed   time.Duration
		want      float64
		ok        bool
	}{
		{"steady", 1000, 3000, 2 * time.Second, 1000, true},
		{"idle", 500, 500, time.Second, 0, true},
		{"sub-second", 0, 512, 500 * time.Millisecond, 1024, true},
		{"counter reset", 5000, 10, time.Second, 0, false},
		{"no time passed", 0, 10, 0, 0, false},
		{"clock stepped back", 0, 10, -time.Second, 0, false},
		{"near wrap", math.MaxUint64 - 10, math.MaxUint64, time.Second, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PerSecond(tt.prev, tt.cur, tt.elapsed)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("PerSecond(%d, %d, %v) = %v, %v; want %v, %v", tt.prev, tt.cur, tt.elapsed, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		name                                   string
		prevPart, curPart, prevWhole, curWhole float64
		want                                   float64
		ok                                     bool
	}{
		{"half busy", 100, 150, 1000, 1100, 50, true},
		{"idle", 100, 100, 1000, 1100, 0, true},
		{"all busy", 0, 10, 0, 10, 100, true},
		{"rounding above whole is clamped", 0, 10.0000001, 0, 10, 100, true},
		{"whole did not move", 0, 0, 10, 10, 0, false},
		{"part went backwards", 10, 5, 0, 10, 0, false},
		{"whole went backwards", 0, 1, 10, 5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Percent(tt.prevPart, tt.curPart, tt.prevWhole, tt.curWhole)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("Percent = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCoreTime(t *testing.T) {
	tests := []struct {
		name               string
		prev, cur, elapsed time.Duration
		want               float64
		ok                 bool
	}{
		{"one core busy", 0, time.Second, time.Second, 100, true},
		{"two cores busy", time.Second, 5 * time.Second, 2 * time.Second, 200, true},
		{"quarter core", 0, 250 * time.Millisecond, time.Second, 25, true},
		{"restarted", 5 * time.Second, time.Second, time.Second, 0, false},
		{"no time", 0, time.Second, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CoreTime(tt.prev, tt.cur, tt.elapsed)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("CoreTime = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPair(t *testing.T) {
	if a, b, ok := Pair(0, 2048, 100, 612, 2*time.Second); !ok || a != 1024 || b != 256 {
		t.Fatalf("Pair = %v, %v, %v", a, b, ok)
	}
	if _, _, ok := Pair(0, 10, 50, 5, time.Second); ok {
		t.Fatal("a pair with one counter reset has a rate")
	}
}
