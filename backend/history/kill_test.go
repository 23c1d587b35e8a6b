package history

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestKillChildWriter is the child of TestSIGKILLMidWrite: it writes
// simulated seconds as fast as it can and prints the sample time of every
// commit, until it is killed.
func TestKillChildWriter(t *testing.T) {
	dir := os.Getenv("HORCRUX_HISTORY_CHILD_DIR")
	if dir == "" {
		t.Skip("runs only as the child of TestSIGKILLMidWrite")
	}
	clk := &simClock{t: simEpoch}
	st, err := Open(dir, Options{Now: clk.Now})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	start := simEpoch
	if st.lastSec > 0 { // a later round: go on after what survived
		start = time.Unix(st.lastSec+1, 0)
	}
	fmt.Println("resumed", start.Unix())
	commits := 0
	for i := range 100000 { // bounded: ~28 simulated hours
		now := start.Add(time.Duration(i) * time.Second)
		clk.Set(now)
		st.AddSnapshot(simSnapshot(now, 3, 2))
		if err := st.Tick(now); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if st.commits != commits {
			commits = st.commits
			fmt.Println("committed", now.Unix())
		}
	}
	os.Exit(0)
}

// TestSIGKILLMidWrite kills a writing process and reopens its store: the
// file is consistent, and everything up to the last commit the child
// reported is there, so at most the last minute is lost.
func TestSIGKILLMidWrite(t *testing.T) {
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChildWriter$")
		cmd.Env = append(os.Environ(), "HORCRUX_HISTORY_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var last, resumed int64
		for n := 0; n < 5+round*7 && sc.Scan(); {
			f := strings.Fields(sc.Text())
			if len(f) == 2 && f[0] == "resumed" {
				resumed, _ = strconv.ParseInt(f[1], 10, 64)
			}
			if len(f) == 2 && f[0] == "committed" {
				last, _ = strconv.ParseInt(f[1], 10, 64)
				n++
			} else if len(f) > 0 && f[0] == "error" {
				t.Fatalf("child: %s", sc.Text())
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if last == 0 {
			t.Fatal("the child reported no commit")
		}

		// Consistent pages, free lists and buckets.
		db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("round %d: after SIGKILL: %v", round, err)
			}
			return nil
		})
		db.Close()

		clk := &simClock{t: time.Unix(last, 0)}
		st, err := Open(dir, Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if st.Notice() != "" {
			t.Fatalf("round %d: %s", round, st.Notice())
		}
		if st.lastSec < last {
			t.Fatalf("round %d: the store ends at %d, before the last commit reported (%d)", round, st.lastSec, last)
		}
		// Every whole minute up to the last reported commit is there and right.
		from := time.Unix(resumed, 0).Add(59 * time.Second).Truncate(time.Minute)
		to := time.Unix(last, 0).Truncate(time.Minute)
		sr, err := st.Read(Query{Item: HostItem, Metric: MetricCPU, From: from, To: to, Points: int(to.Sub(from) / time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if sr.Tier != Minute || len(sr.Points) < 4 {
			t.Fatalf("round %d: %d points at tier %v, want whole minutes", round, len(sr.Points), sr.Tier)
		}
		for _, p := range sr.Points {
			var want Bucket
			for s := p.Time.Unix(); s < p.Time.Unix()+60; s++ {
				want.add(simValue(0, MetricCPU, s))
			}
			if p.Count != 60 || math.Abs(p.Max-want.Max) > 110.0*spreadStep/quantSteps || math.Abs(p.Min-want.Min) > 110.0*spreadStep/quantSteps {
				t.Fatalf("round %d: minute %s after SIGKILL: %+v, want %+v", round, p.Time, p.Bucket, want)
			}
		}
		st.Close()
	}
}
