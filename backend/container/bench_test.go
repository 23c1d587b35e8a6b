package container

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// TestRefreshCost measures a Source against the engine at DOCKER_HOST (run
// by bench/containers.sh with N sleepers): the wall time from a cold Source
// to figures for every running container, then the client CPU (getrusage)
// and Poll latency over 10 refreshes at 1 s. It prints one BENCH line.
func TestRefreshCost(t *testing.T) {
	if os.Getenv("HORCRUX_BENCH") != "1" {
		t.Skip("benchmark: run bench/containers.sh (sets HORCRUX_BENCH=1 and DOCKER_HOST)")
	}
	ctx := context.Background()
	began := time.Now()
	s := NewSource(Config{})
	defer s.Close()

	count := func(sec model.ContainerSection) (running, mem, cpu int) {
		for _, c := range sec.Items {
			if c.State != "running" {
				continue
			}
			running++
			if c.MemUsageBytes != nil {
				mem++
			}
			if c.CPUPercent != nil {
				cpu++
			}
		}
		return
	}
	var firstMem, firstCPU time.Duration
	var running int
	deadline := began.Add(30 * time.Second)
	for firstCPU == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no CPU figures for all %d running containers within 30 s", running)
		}
		sec := s.Poll(ctx)
		if !sec.IsUp() {
			t.Fatalf("engine unavailable: %s", sec.Reason)
		}
		var mem, cpu int
		running, mem, cpu = count(sec)
		if running == 0 {
			t.Fatal("no running containers to measure")
		}
		if firstMem == 0 && mem == running {
			firstMem = time.Since(began)
		}
		if cpu == running {
			firstCPU = time.Since(began)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Steady state: one Poll a second, as the app refreshes.
	const rounds = 10
	var polls, ages []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, wall0 := cpuTime(t), time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range rounds {
		<-tick.C
		p0 := time.Now()
		sec := s.Poll(ctx)
		polls = append(polls, time.Since(p0))
		if _, _, cpu := count(sec); !sec.IsUp() || cpu != running {
			t.Fatalf("refresh lost figures: %d of %d containers with CPU (%s)", cpu, running, sec.Reason)
		}
		ages = append(ages, s.oldestFigures(p0))
	}
	cpu1, wall1 := cpuTime(t), time.Now()
	runtime.ReadMemStats(&ms1)

	slices.Sort(polls)
	slices.Sort(ages)
	wall := wall1.Sub(wall0)
	fmt.Printf("BENCH n=%d first_mem_ms=%d first_cpu_ms=%d poll_p50_ms=%.2f poll_max_ms=%.2f age_max_ms=%d cpu_pct=%.2f alloc_kb_s=%.0f\n",
		running, firstMem.Milliseconds(), firstCPU.Milliseconds(),
		ms(polls[len(polls)/2]), ms(polls[len(polls)-1]), ages[len(ages)-1].Milliseconds(),
		100*(cpu1-cpu0).Seconds()/wall.Seconds(),
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/1024/wall.Seconds())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime is the user+system CPU this process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// oldestFigures is the age, at now, of the stalest figures any open stream
// holds: how fresh a refresh is.
func (s *Source) oldestFigures(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var oldest time.Duration
	for _, st := range s.streams {
		if !st.ended && !st.at.IsZero() {
			oldest = max(oldest, now.Sub(st.at))
		}
	}
	return oldest
}
