package widgets

import (
	"testing"
	"time"
)

func TestTimeTicksAreRound(t *testing.T) {
	end := time.Date(2026, 11, 30, 22, 37, 9, 0, time.UTC)
	tests := []struct {
		window time.Duration
		first  string // first tick, as tickLabel prints it
		every  time.Duration
	}{
		{time.Minute, "22:36:10", 10 * time.Second},
		{10 * time.Minute, "22:28", 2 * time.Minute},
		{time.Hour, "21:40", 10 * time.Minute},
		{24 * time.Hour, "00:00", 6 * time.Hour},
		{7 * 24 * time.Hour, "Nov 25", 2 * 24 * time.Hour},
		{30 * 24 * time.Hour, "Nov 2", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		ticks := timeTicks(end.Add(-tt.window), end, 6)
		if len(ticks) < 3 || len(ticks) > 6 {
			t.Fatalf("%s: %d ticks, want 3 to 6: %v", tt.window, len(ticks), ticks)
		}
		if got := tickLabel(ticks[0], tt.window); got != tt.first {
			t.Errorf("%s: first tick %q, want %q (%v)", tt.window, got, tt.first, ticks)
		}
		for i := 1; i < len(ticks); i++ {
			if d := ticks[i].Sub(ticks[i-1]); d != tt.every {
				t.Errorf("%s: ticks %v apart, want %v", tt.window, d, tt.every)
			}
		}
	}
	year := timeTicks(end.AddDate(-1, 0, 0), end, 6)
	for _, tk := range year {
		if tk.Day() != 1 || tk.Hour() != 0 {
			t.Errorf("year tick %v is not the first of a month", tk)
		}
	}
	if len(year) < 4 || len(year) > 6 {
		t.Errorf("year: %d ticks: %v", len(year), year)
	}
}

func TestTimeTicksFollowLocalMidnight(t *testing.T) {
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	end := time.Date(2026, 11, 30, 10, 0, 0, 0, loc)
	for _, tk := range timeTicks(end.Add(-24*time.Hour), end, 6) {
		if tk.Minute() != 0 || tk.Hour()%6 != 0 {
			t.Errorf("tick %v is not on a local 6 h boundary", tk)
		}
	}
}
