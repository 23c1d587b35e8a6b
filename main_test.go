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
			if tt.emptyError && errs.Len() > 0 {
				t.Errorf("stderr not empty:\n%s", errs.String())
			}
		})
	}
}
