package container

import (
	"bufio"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// readUntil reads r until the text read holds want, within 5 s.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b strings.Builder
		br := bufio.NewReader(r)
		for !strings.Contains(b.String(), want) {
			c, err := br.ReadByte()
			if err != nil {
				break
			}
			b.WriteByte(c)
		}
		got <- b.String()
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, want) {
			t.Fatalf("stream ended before %q: %q", want, s)
		}
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("no %q within 5 s", want)
		return ""
	}
}

func forEngines(t *testing.T, test func(t *testing.T, f *fakeEngine)) {
	for _, podman := range []bool{false, true} {
		name := "dockerd"
		if podman {
			name = "podman"
		}
		t.Run(name, func(t *testing.T) {
			f := newFakeEngine(t)
			t.Cleanup(f.srv.Close)
			f.podman = podman
			test(t, f)
		})
	}
}

func TestShellFallsBackToSh(t *testing.T) {
	forEngines(t, func(t *testing.T, f *fakeEngine) {
		for _, noStat := range []bool{false, true} {
			f.noStat = noStat
			f.add("id-web", "web", "running")
			f.setBins("id-web", "/bin/sh")
			before := len(f.execsMade())
			s := NewSource(Config{Host: f.host()})
			defer s.Close()
			sh, err := s.Shell(context.Background(), "web", nil, 80, 24)
			if err != nil {
				t.Fatal(err)
			}
			defer sh.Close()
			if got := strings.Join(sh.Command(), " "); got != "/bin/sh" {
				t.Errorf("command = %q; want /bin/sh", got)
			}
			// A stat says there is no bash; without one, bash is tried.
			want := []string{"/bin/sh"}
			if noStat {
				want = []string{"/bin/bash", "/bin/sh"}
			}
			if got := f.execsMade()[before:]; !slices.Equal(got, want) {
				t.Errorf("stat answered %v: execs = %q; want %q", !noStat, got, want)
			}
			// The first bytes are the shell's, not the failed bash's words.
			if out := readUntil(t, sh, "$ "); out != "$ " {
				t.Errorf("first output = %q; want the prompt alone", out)
			}
			sh.Write([]byte("stty size\n"))
			readUntil(t, sh, "24 80\r\n")
			if err := sh.Resize(132, 43); err != nil {
				t.Fatal(err)
			}
			sh.Write([]byte("stty size\n"))
			readUntil(t, sh, "43 132\r\n")
			sh.Write([]byte("echo hx-fake\n"))
			readUntil(t, sh, "hx-fake\r\nhx-fake\r\n") // the terminal's echo, then echo's
		}
	})
}

func TestShellPrefersBash(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	sh, err := s.Shell(context.Background(), "id-web", nil, 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if got := f.execsMade(); !slices.Equal(got, []string{"/bin/bash"}) || sh.Command()[0] != "/bin/bash" {
		t.Errorf("execs = %q, command %q; want bash alone", got, sh.Command())
	}
}

func TestShellGivenCommand(t *testing.T) {
	forEngines(t, func(t *testing.T, f *fakeEngine) {
		f.add("id-web", "web", "running")
		f.setBins("id-web", "/bin/sh", "/bin/echo")
		s := NewSource(Config{Host: f.host()})
		defer s.Close()
		_, err := s.Shell(context.Background(), "web", []string{"/bin/bash", "-l"}, 80, 24)
		var ns *notStarted
		if err == nil || !errors.As(err, &ns) || !strings.HasPrefix(err.Error(), "cannot run /bin/bash -l in container web: ") ||
			!strings.Contains(err.Error(), "stat /bin/bash: no such file or directory") {
			t.Errorf("a command given that is not there = %v; want it refused in the engine's words", err)
		}
		if got := f.execsMade(); !slices.Equal(got, []string{"/bin/bash -l"}) {
			t.Errorf("execs = %q; want the command given alone, no fallback", got)
		}

		// A command that ends at once (Podman forgets its pid) is a
		// success: its output, then the end.
		sh, err := s.Shell(context.Background(), "web", []string{"/bin/echo", "hx-once"}, 80, 24)
		if err != nil {
			t.Fatal(err)
		}
		defer sh.Close()
		if b, err := io.ReadAll(sh); string(b) != "hx-once\r\n" || err != nil {
			t.Errorf("output of a command that ended = %q, %v", b, err)
		}
	})
}

func TestShellNoShellAtAll(t *testing.T) {
	forEngines(t, func(t *testing.T, f *fakeEngine) {
		f.add("id-web", "web", "running")
		f.setBins("id-web")
		s := NewSource(Config{Host: f.host()})
		defer s.Close()
		_, err := s.Shell(context.Background(), "web", nil, 80, 24)
		want := "cannot open a shell in container web: neither /bin/bash nor /bin/sh can run there ("
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "stat /bin/sh: no such file") ||
			!strings.HasSuffix(err.Error(), "); give the command to run") {
			t.Errorf("no shell in the container = %v; want %q...", err, want)
		}
	})
}

func TestShellRefused(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	f.add("id-old", "old", "exited")
	f.add("id-zzz", "zzz", "paused")
	s := NewSource(Config{Host: f.host()})
	defer s.Close()
	tests := []struct {
		id         string
		cols, rows int
		want       string
	}{
		{"old", 80, 24, "cannot open a shell in container old: it is not running (exited); start it first"},
		{"zzz", 80, 24, "cannot open a shell in container zzz: it is paused; unpause it first"},
		{"gone", 80, 24, "cannot open a shell in container gone: there is no such container (removed?)"},
		{"web", 0, 24, "a terminal of 0x24 characters is not possible: each side must be 1 to 65535"},
		{"web", 80, 70000, "a terminal of 80x70000 characters is not possible: each side must be 1 to 65535"},
	}
	for _, tt := range tests {
		sh, err := s.Shell(context.Background(), tt.id, nil, tt.cols, tt.rows)
		if err == nil {
			sh.Close()
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("Shell(%s, %dx%d) = %v; want %q", tt.id, tt.cols, tt.rows, err, tt.want)
		}
	}
	if len(f.execsMade()) != 0 {
		t.Errorf("execs made: %q; want none", f.execsMade())
	}

	// An engine that is gone, then one that hangs at the start: both said
	// within the bound.
	dead := NewSource(Config{Host: "unix:///nonexistent/docker.sock"})
	defer dead.Close()
	if _, err := dead.Shell(context.Background(), "web", nil, 80, 24); err == nil ||
		!strings.Contains(err.Error(), "Docker is not running at unix:///nonexistent/docker.sock") {
		t.Errorf("shell with no engine = %v", err)
	}
	f.hangStart = make(chan struct{})
	defer close(f.hangStart)
	began := time.Now()
	_, err := s.Shell(context.Background(), "web", nil, 80, 24)
	took := time.Since(began)
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") || took > shellWithin+time.Second {
		t.Errorf("shell on a hung engine = %v after %v; want it said within %v", err, took, shellWithin)
	}
}

func TestShellCloses(t *testing.T) {
	f := newFakeEngine(t)
	defer f.srv.Close()
	f.add("id-web", "web", "running")
	s := NewSource(Config{Host: f.host()})
	a, err := s.Shell(context.Background(), "web", nil, 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, a, "$ ")
	a.Close()
	eventually(t, 5*time.Second, "the engine to see the connection closed", func() bool { return f.lastExec().hungUp })
	if _, err := a.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close: no error")
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}

	// Shells still open when the Source closes are closed with it; one
	// nobody reads still has its start watcher peeking.
	b, err := s.Shell(context.Background(), "web", nil, 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := io.ReadAll(b); err == nil {
		// ReadAll reports io.EOF as nil: a closed connection errs instead.
		t.Error("shell readable to its end after the Source closed; want it cut")
	}
	noneOutlive(t)
	if _, err := s.Shell(context.Background(), "web", nil, 80, 24); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Shell after Close = %v", err)
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"OCI runtime exec failed: exec failed: stat /bin/bash: no such file or directory: unknown\r\n", "OCI runtime exec failed: exec failed: stat /bin/bash: no such file or directory: unknown"},
		{"Error: runc: exec failed\n", "runc: exec failed"},
		{"two\r\nlines\x1b[J  and\ttabs", "two lines [J and tabs"},
		{"\xff\xfe bad utf8", "bad utf8"},
		{strings.Repeat("x", 400), strings.Repeat("x", 300) + "…"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzOneLine feeds engine words (outside input) through oneLine: one
// printable line, valid UTF-8, bounded, never a panic.
func FuzzOneLine(f *testing.F) {
	f.Add("OCI runtime exec failed: exec failed: unable to start container process: exec: \"/bin/bash\": stat /bin/bash: no such file or directory: unknown\r\n")
	f.Add("Error: runc: exec failed\n\x1b[6n")
	f.Fuzz(func(t *testing.T, s string) {
		got := oneLine(s)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 301 || strings.ContainsFunc(got, func(r rune) bool { return !unicode.IsPrint(r) }) {
			t.Fatalf("oneLine(%q) = %q", s, got)
		}
	})
}
