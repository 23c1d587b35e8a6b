package main

import (
	"strings"
	"testing"
)

// TestRunCommandLine covers the command line's parsing and refusals, in
// process: exit status and what each stream says.
func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // a part stdout must hold
		stderr     string // a part stderr must hold
		notStderr  string // a part stderr must not hold
		emptyError bool
	}{
		{name: "version", args: []string{"version"}, stdout: "horcrux ", emptyError: true},
		{name: "help", args: []string{"--help"}, stdout: "horcrux snapshot", emptyError: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "interval before the command", args: []string{"--interval", "0", "snapshot"}, code: 2, stderr: "is too short: rates need at least 100ms"},
		{name: "interval after the command", args: []string{"snapshot", "--interval", "0"}, code: 2, stderr: "is too short: rates need at least 100ms"},
		{name: "negative interval for doctor", args: []string{"doctor", "--interval=-1s"}, code: 2, stderr: "is too short: rates need at least 100ms"},
		{name: "interval of a nanosecond", args: []string{"snapshot", "--interval", "1ns"}, code: 2, stderr: "--interval 1ns is too short"},
		{name: "console without a VM", args: []string{"console"}, code: 2, stderr: "usage: horcrux console"},
		{name: "exporter with a bad address", args: []string{"exporter", "--connect", "test:///default", "--listen", "garbage"}, code: 1,
			stderr: "cannot listen on garbage", notStderr: "serving"},
		{name: "exporter with a stray argument", args: []string{"exporter", "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		{name: "flags after the VM", args: []string{"console", "nosuchvm", "--connect", "test:///default", "--print-url"}, code: 1,
			stderr: `no VM named "nosuchvm" at test:///default`},
		{name: "flags on both sides of the VM", args: []string{"console", "--print-url", "nosuchvm", "--connect=test:///default"}, code: 1,
			stderr: `no VM named "nosuchvm" at test:///default`},
		{name: "after --, an argument", args: []string{"console", "--connect", "test:///default", "--", "--serial"}, code: 1,
			stderr: `no VM named "--serial"`},
		{name: "two VMs", args: []string{"console", "a", "--connect", "test:///default", "b"}, code: 2, stderr: "usage: horcrux console [--print-url]"},
		{name: "a global flag before the command is kept", args: []string{"--connect", "test:///default", "snapshot", "--json", "--docker-host", "unix:///nonexistent.sock"},
			stdout: `"uri": "test:///default"`},
		{name: "command help on stdout", args: []string{"console", "--help"}, stdout: "usage: horcrux console [--print-url] [--serial|--spice] VM", emptyError: true},
		{name: "help COMMAND", args: []string{"help", "doctor"}, stdout: "usage: horcrux doctor [--json]", emptyError: true},
		{name: "engine schemes", args: []string{"--help"}, stdout: "unix:///path/docker.sock, tcp://host:2376 or ssh://user@host", emptyError: true},
		{name: "snapshot of the test driver", args: []string{"snapshot", "--json", "--connect", "test:///default", "--docker-host", "unix:///nonexistent.sock"},
			stdout: `"uri": "test:///default"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs strings.Builder
			code := run(tt.args, &out, &errs)
			if code != tt.code {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errs.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
			if !strings.Contains(errs.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errs.String())
			}
			if tt.notStderr != "" && strings.Contains(errs.String(), tt.notStderr) {
				t.Errorf("stderr says %q:\n%s", tt.notStderr, errs.String())
			}
			if n := strings.Count(out.String()+errs.String(), "sampling period"); n > 1 {
				t.Errorf("the flags are listed %d times", n)
			}
			if tt.emptyError && errs.Len() > 0 {
				t.Errorf("stderr not empty:\n%s", errs.String())
			}
		})
	}
}

// TestUsageAligned: every description in the command list starts in one
// column, and every command's usage line is found.
func TestUsageAligned(t *testing.T) {
	col := -1
	for _, l := range strings.Split(usage, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		i := strings.Index(l, "   ")
		if strings.HasPrefix(l, "  horcrux ") && i < 0 {
			continue // a long synopsis: its description is on the next line
		}
		if i < 0 {
			continue
		}
		start := i + len(l[i:]) - len(strings.TrimLeft(l[i:], " "))
		if col < 0 {
			col = start
		}
		if start != col {
			t.Errorf("description at column %d, not %d: %q", start, col, l)
		}
	}
	for name, want := range map[string]string{
		"console": "horcrux console [--print-url] [--serial|--spice] VM",
		"doctor":  "horcrux doctor [--json]",
		"version": "horcrux version",
		"nosuch":  "horcrux nosuch [flags]",
	} {
		if got := commandUsage(name); got != want {
			t.Errorf("commandUsage(%q) = %q, want %q", name, got, want)
		}
	}
}
