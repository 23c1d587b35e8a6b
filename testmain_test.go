package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the commands the tests run a data directory of their own:
// the window and the exporter record history there, never in the home of
// whoever runs the tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "horcrux-test-data-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
