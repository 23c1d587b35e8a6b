package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsPrintNothingOnStderr runs the built binary under the C
// locales of containers and minimal installs: the toolkit linked into every
// command must not log on stderr (it said "Error parsing user locale C").
func TestCommandsPrintNothingOnStderr(t *testing.T) {
	bin := buildBinary(t)
	// No Docker engine: the snapshot says so in its JSON, not on stderr.
	noDocker := "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	commands := [][]string{
		{"version"},
		{"snapshot", "--json", "--connect", "test:///default", "--docker-host", noDocker},
	}
	for _, locale := range []string{"LANG=C", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LANG=POSIX"} {
		for _, args := range commands {
			t.Run(locale+" "+args[0], func(t *testing.T) {
				cmd := exec.Command(bin, args...)
				cmd.Env = append(withoutLocale(os.Environ()), locale, "HOME="+t.TempDir())
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("horcrux %s: %v\nstderr:\n%s", strings.Join(args, " "), err, &stderr)
				}
				if stderr.Len() > 0 {
					t.Fatalf("horcrux %s with %s wrote on stderr:\n%s", strings.Join(args, " "), locale, &stderr)
				}
				if stdout.Len() == 0 {
					t.Fatalf("horcrux %s printed nothing", strings.Join(args, " "))
				}
			})
		}
	}
}

// withoutLocale drops the locale variables from env, so that the one a
// test sets is the one in effect.
func withoutLocale(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
