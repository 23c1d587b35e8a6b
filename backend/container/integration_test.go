package container

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// dockerEnv runs the private dockerd of scripts/dockerd.sh for a test.
type dockerEnv struct {
	t      testing.TB
	script string
	env    []string // HORCRUX_DOCKERD_DIR for a daemon of the test's own
	host   string
	cli    string // the docker CLI; the daemon's own (20.10) when installed
}

func (d *dockerEnv) script1(arg string) string {
	d.t.Helper()
	cmd := exec.Command(d.script, arg)
	cmd.Env = append(os.Environ(), d.env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		d.t.Fatalf("%s %s: %v\n%s", d.script, arg, err, stderr)
	}
	return string(out)
}

// docker runs the CLI against the private daemon and returns its stdout.
func (d *dockerEnv) docker(args ...string) string {
	d.t.Helper()
	cmd := exec.Command(d.cli, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.host)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		d.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// startPrivateDockerd starts (or reuses) the private dockerd and imports the
// sleeper image. It stops the daemon at the end only if it started it.
func startPrivateDockerd(t testing.TB) *dockerEnv {
	d := startDockerdIn(t, "")
	d.script1("image")
	return d
}

// startDockerdIn starts (or reuses) the dockerd of scripts/dockerd.sh whose
// data, socket and log are in dir ("": the script's default, shared by the
// tests of this package). It stops the daemon at the end only if it started it.
func startDockerdIn(t testing.TB, dir string) *dockerEnv {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerEnv{t: t, script: filepath.Join(root, "scripts", "dockerd.sh"), cli: "/usr/bin/docker"}
	if dir != "" {
		d.env = []string{"HORCRUX_DOCKERD_DIR=" + dir}
	}
	if _, err := os.Stat(d.cli); err != nil {
		d.cli = "docker"
	}
	status := exec.Command(d.script, "status")
	status.Env = append(os.Environ(), d.env...)
	wasRunning := status.Run() == nil
	out := d.script1("start")
	if !wasRunning {
		t.Cleanup(func() {
			stop := exec.Command(d.script, "stop")
			stop.Env = append(os.Environ(), d.env...)
			stop.Run()
		})
	}
	_, d.host, _ = strings.Cut(strings.TrimSpace(out), "export DOCKER_HOST=")
	if !strings.HasPrefix(d.host, "unix://") {
		t.Fatalf("dockerd.sh start printed %q; want an export DOCKER_HOST=unix://... line", out)
	}
	return d
}

// cliStats is one line of `docker stats --no-stream --format '{{json .}}'`.
type cliStats struct {
	Name, CPUPerc, MemUsage, PIDs string
}

// parseSize reads docker's binary sizes ("17.36MiB", "1.5GiB", "980kB").
func parseSize(s string) (float64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			return v * u.mult, err
		}
	}
	return 0, fmt.Errorf("no unit in %q", s)
}

func TestIntegration(t *testing.T) {
	if os.Getenv("HORCRUX_INTEGRATION") != "1" {
		t.Skip("integration test: set HORCRUX_INTEGRATION=1 (starts a private dockerd with scripts/dockerd.sh)")
	}
	d := startPrivateDockerd(t)
	prefix := fmt.Sprintf("horcrux-it-%d-", os.Getpid())
	t.Cleanup(func() {
		if ids := d.docker("ps", "-aq", "--filter", "name="+prefix); ids != "" {
			d.docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
	})
	run := func(name string, args ...string) string {
		full := append([]string{"run", "-d", "--network=none", "--name", prefix + name}, args...)
		return d.docker(full...)
	}
	idleID := run("idle", "test/sleeper:1", "mem", "32")
	run("idle2", "test/sleeper:1")
	run("burn", "test/sleeper:1", "burn")

	s := NewSource(Config{Host: d.host})
	t.Cleanup(func() {
		s.Close()
		noneOutlive(t)
	})
	all := func(names ...string) func(model.ContainerSection) bool {
		return func(sec model.ContainerSection) bool {
			for _, n := range names {
				if !hasCPUOnly(prefix + n)(sec) {
					return false
				}
			}
			return true
		}
	}

	t.Run("list and stats", func(t *testing.T) {
		sec := pollUntil(t, s, 20*time.Second, "CPU figures for all three", all("idle", "idle2", "burn"))
		if !sec.IsUp() || !strings.HasPrefix(sec.Engine, "Docker 20.10") || !strings.Contains(sec.Engine, "(API 1.41)") || sec.Host != d.host {
			t.Errorf("section head = host %q engine %q available %v", sec.Host, sec.Engine, sec.IsUp())
		}
		idle := find(sec, prefix+"idle")
		if idle.ID != idleID || idle.Image != "test/sleeper:1" || idle.State != "running" ||
			!strings.HasPrefix(idle.Status, "Up") || idle.StartedAt.IsZero() || time.Since(idle.StartedAt) > 5*time.Minute ||
			!strings.HasPrefix(idle.Command, "/bin/sleeper") || idle.Health != "" || len(idle.Ports) != 0 {
			t.Errorf("idle container = %+v", idle)
		}

		// Give the busy one time to show in docker stats too, then compare.
		var theirs map[string]cliStats
		eventually(t, 20*time.Second, "docker stats to show the busy container busy", func() bool {
			theirs = map[string]cliStats{}
			out := d.docker("stats", "--no-stream", "--format", "{{json .}}", prefix+"idle", prefix+"idle2", prefix+"burn")
			for line := range strings.Lines(out) {
				var c cliStats
				if err := json.Unmarshal([]byte(line), &c); err != nil {
					t.Fatalf("docker stats line %q: %v", line, err)
				}
				theirs[c.Name] = c
			}
			cpu, _ := strconv.ParseFloat(strings.TrimSuffix(theirs[prefix+"burn"].CPUPerc, "%"), 64)
			return cpu > 50
		})
		sec = s.Poll(context.Background())
		for _, n := range []string{"idle", "idle2", "burn"} {
			ours, their := find(sec, prefix+n), theirs[prefix+n]
			mem, lim, ok := strings.Cut(their.MemUsage, " / ")
			if !ok {
				t.Fatalf("docker stats MemUsage %q", their.MemUsage)
			}
			theirMem, err1 := parseSize(mem)
			theirLim, err2 := parseSize(lim)
			if err1 != nil || err2 != nil {
				t.Fatalf("docker stats MemUsage %q: %v %v", their.MemUsage, err1, err2)
			}
			ourMem := float64(*ours.MemUsageBytes)
			t.Logf("%s: ours cpu %.2f%% mem %.0f limit %d pids %d; docker stats cpu %s mem %s pids %s",
				n, *ours.CPUPercent, ourMem, *ours.MemLimitBytes, *ours.PIDs, their.CPUPerc, their.MemUsage, their.PIDs)
			if math.Abs(ourMem-theirMem) > 0.10*theirMem {
				t.Errorf("%s memory: ours %.0f, docker stats %.0f (%s): more than 10%% apart", n, ourMem, theirMem, mem)
			}
			if math.Abs(float64(*ours.MemLimitBytes)-theirLim) > 0.01*theirLim {
				t.Errorf("%s memory limit: ours %d, docker stats %s", n, *ours.MemLimitBytes, lim)
			}
			if *ours.PIDs == 0 || ours.NetRxBps == nil || *ours.NetRxBps != 0 || ours.BlockReadBps == nil {
				t.Errorf("%s: pids %v net rx %v block read %v; want pids, and 0 B/s on --network=none", n, *ours.PIDs, ours.NetRxBps, ours.BlockReadBps)
			}
		}
		if n := find(sec, prefix+"idle"); *n.MemUsageBytes < 32<<20 {
			t.Errorf("idle holds 32 MiB; we measure %d bytes", *n.MemUsageBytes)
		}
		burn, idle2 := *find(sec, prefix+"burn").CPUPercent, *find(sec, prefix+"idle2").CPUPercent
		if burn < 50 || idle2 > 10 || burn < idle2+40 {
			t.Errorf("cpu: burn %.1f%%, idle %.1f%%; want the busy one clearly above the idle", burn, idle2)
		}
		theirBurn, _ := strconv.ParseFloat(strings.TrimSuffix(theirs[prefix+"burn"].CPUPerc, "%"), 64)
		if math.Abs(burn-theirBurn) > 30 {
			t.Errorf("burn cpu: ours %.1f%%, docker stats %.1f%%", burn, theirBurn)
		}
	})

	t.Run("actions", func(t *testing.T) {
		ctx := context.Background()
		name := prefix + "idle2"
		c := find(s.Poll(ctx), name)
		if c == nil {
			t.Fatal("idle2 not listed")
		}
		id := c.ID
		var lastStart time.Time
		steps := []struct {
			a     model.ContainerAction
			state string
		}{{model.StopContainer, "exited"}, {model.StartContainer, "running"}, {model.RestartContainer, "running"}, {model.PauseContainer, "paused"}, {model.UnpauseContainer, "running"}, {model.RemoveContainer, ""}}
		for _, st := range steps {
			cur := find(s.Poll(ctx), name)
			if !st.a.AppliesTo(cur.State) {
				t.Fatalf("%v does not apply to state %s", st.a, cur.State)
			}
			if !cur.StartedAt.IsZero() {
				lastStart = cur.StartedAt
			}
			drainChanged(s)
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := s.Act(actx, id, st.a)
			cancel()
			if err != nil {
				t.Fatalf("%v: %v", st.a, err)
			}
			waitChanged(t, s, st.a.String())
			sec := pollUntil(t, s, 15*time.Second, fmt.Sprintf("state %q after %v", st.state, st.a), func(sec model.ContainerSection) bool {
				c := find(sec, name)
				if st.state == "" {
					return c == nil
				}
				return c != nil && c.State == st.state
			})
			c := find(sec, name)
			switch st.a {
			case model.StopContainer:
				if c.ExitCode != 0 || !c.StartedAt.IsZero() || c.CPUPercent != nil || c.PIDs != nil {
					t.Errorf("after stop = %+v; want exit code 0, no start time, no figures", c)
				}
			case model.StartContainer, model.RestartContainer:
				if !c.StartedAt.After(lastStart) {
					t.Errorf("after %v started at %v; want later than %v", st.a, c.StartedAt, lastStart)
				}
			case model.UnpauseContainer:
				pollUntil(t, s, 15*time.Second, "figures after unpause", hasCPUOnly(name))
			}
		}

		if err := s.Act(ctx, id, model.StartContainer); err == nil || !strings.Contains(err.Error(), "no longer exists") {
			t.Errorf("start of a removed container = %v; want it to say it no longer exists", err)
		}
		exitedName := prefix + "idle"
		d.docker("stop", exitedName)
		pollUntil(t, s, 15*time.Second, "idle exited", func(sec model.ContainerSection) bool {
			c := find(sec, exitedName)
			return c != nil && c.State == "exited"
		})
		if err := s.Act(ctx, exitedName, model.PauseContainer); err == nil || !strings.HasPrefix(err.Error(), "cannot pause container "+exitedName+": ") {
			t.Errorf("pause of an exited container = %v", err)
		}
		d.docker("start", exitedName)
	})

	t.Run("exit code and restart count", func(t *testing.T) {
		run("exit3", "test/sleeper:1", "exit", "3")
		run("flappy", "--restart=on-failure:2", "test/sleeper:1", "exit", "1")
		sec := pollUntil(t, s, 30*time.Second, "exit3 exited, flappy given up after 2 restarts", func(sec model.ContainerSection) bool {
			e, f := find(sec, prefix+"exit3"), find(sec, prefix+"flappy")
			return e != nil && e.State == "exited" && f != nil && f.State == "exited" && f.RestartCount == 2
		})
		if e := find(sec, prefix+"exit3"); e.ExitCode != 3 {
			t.Errorf("exit3 exit code = %d; want 3", e.ExitCode)
		}
		if f := find(sec, prefix+"flappy"); f.ExitCode != 1 {
			t.Errorf("flappy exit code = %d; want 1", f.ExitCode)
		}
	})

	t.Run("logs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := s.Logs(ctx, prefix+"idle", -1, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		// stdout and stderr are separate pipes: their order within one
		// instant is not defined, so only check both arrived as plain lines.
		text := string(b)
		for l := range strings.Lines(text) {
			if !strings.HasPrefix(l, "sleeper: ") {
				t.Errorf("log line %q: want plain text without stream headers", l)
			}
		}
		if !strings.Contains(text, "sleeper: started") || !strings.Contains(text, "sleeper: stderr is here too\n") {
			t.Errorf("logs = %q; want the sleeper's stdout and stderr lines", text)
		}
		r, err = s.Logs(ctx, prefix+"idle", 1, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(r)
		r.Close()
		if strings.Count(string(b), "\n") != 1 {
			t.Errorf("tail 1 = %q; want one line", b)
		}
		r, err = s.TimestampedLogs(ctx, prefix+"idle", -1, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(r)
		r.Close()
		for l := range strings.Lines(string(b)) {
			at, rest, ok := strings.Cut(l, " ")
			if _, err := time.Parse(time.RFC3339Nano, at); !ok || err != nil || !strings.HasPrefix(rest, "sleeper: ") {
				t.Errorf("timestamped line %q: want an RFC 3339 time, a space and the text", l)
			}
		}

		// Follow a running container and stop it: its last words arrive, then EOF.
		id := run("talker", "test/sleeper:1")
		pollUntil(t, s, 15*time.Second, "talker running", func(sec model.ContainerSection) bool {
			c := find(sec, prefix+"talker")
			return c != nil && c.State == "running"
		})
		r, err = s.Logs(ctx, id, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		lines := make(chan string, 16)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		if err := s.Act(ctx, id, model.StopContainer); err != nil {
			t.Fatal(err)
		}
		var got []string
		for l := range lines {
			got = append(got, l)
		}
		if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "sleeper: terminated by terminated") {
			t.Errorf("followed logs = %q; want the sleeper's last words at the end", got)
		}
	})

	t.Run("engine restart", func(t *testing.T) {
		d.script1("stop")
		began := time.Now()
		sec := s.Poll(context.Background())
		if sec.IsUp() || !strings.Contains(sec.Reason, "Docker is not running at "+d.host) || time.Since(began) > time.Second {
			t.Fatalf("Poll without dockerd (%v) = %+v; want unavailable naming %s", time.Since(began), sec, d.host)
		}
		drainChanged(s)
		d.script1("start")
		waitChanged(t, s, "dockerd came back")
		pollUntil(t, s, 20*time.Second, "the section back", func(sec model.ContainerSection) bool { return sec.IsUp() && len(sec.Items) > 0 })

		// The events subscription and the streams work again.
		drainChanged(s)
		run("after", "test/sleeper:1")
		waitChanged(t, s, "a container started after the comeback")
		pollUntil(t, s, 20*time.Second, "figures for a container started after the comeback", hasCPUOnly(prefix+"after"))
	})
}

func hasCPUOnly(name string) func(model.ContainerSection) bool {
	return func(sec model.ContainerSection) bool {
		c := find(sec, name)
		return c != nil && c.CPUPercent != nil && c.MemUsageBytes != nil
	}
}
