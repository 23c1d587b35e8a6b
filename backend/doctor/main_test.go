package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Helper modes: the test binary, run again (as another user, or with
// libvirt hidden), runs one group of checks and prints the results as JSON.
const (
	helperEnv    = "HORCRUX_DOCTOR_HELPER"     // "docker" or "libvirt"
	helperArgEnv = "HORCRUX_DOCTOR_HELPER_ARG" // the Docker host, or comma-separated URIs ("" = default)
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Getenv(helperArgEnv), os.Stdout))
	}
	os.Exit(m.Run())
}

func runHelper(mode, arg string, w io.Writer) int {
	cfg := Config{}
	var rs []Result
	switch mode {
	case "docker":
		cfg.DockerHosts = []string{arg}
		c := newChecker(cfg)
		rs = []Result{c.docker(context.Background(), c.engines[0])}
	case "libvirt":
		if arg != "" {
			cfg.URIs = strings.Split(arg, ",")
		}
		conns, consoles := newChecker(cfg).libvirt(context.Background())
		rs = append(conns, consoles...)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 2
	}
	if err := WriteJSON(w, rs); err != nil {
		return 1
	}
	return 0
}

// helperCmd builds a command running this test binary in a helper mode;
// wrap, when set, goes in front (setpriv, unshare ...).
func helperCmd(t *testing.T, bin, mode, arg string, wrap ...string) *exec.Cmd {
	t.Helper()
	args := append(wrap, bin)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperArgEnv+"="+arg)
	return cmd
}

// runHelperCmd runs cmd and decodes its results.
func runHelperCmd(t *testing.T, cmd *exec.Cmd) []Result {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", cmd.Args, err, out, stderr.String())
	}
	var rs []Result
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("helper output is not JSON results: %v\n%s\nstderr: %s", err, out, stderr.String())
	}
	return rs
}

// publicBinary copies this test binary where any user may run it: the
// original sits in a directory only its owner can enter.
func publicBinary(t *testing.T) (bin, dir string) {
	t.Helper()
	dir = publicTempDir(t)
	src, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "doctor.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// publicTempDir is a temporary directory any user may enter and list.
func publicTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "horcrux-doctor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dockerOnly runs the Docker check of the one engine cfg names.
func dockerOnly(ctx context.Context, cfg Config) Result {
	c := newChecker(cfg)
	return c.docker(ctx, c.engines[0])
}

// find returns the result whose check is name, failing the test without one.
func find(t *testing.T, rs []Result, name string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Check == name {
			return r
		}
	}
	t.Fatalf("no %q among %s", name, dump(rs))
	return Result{}
}

// dump renders results for failure messages.
func dump(rs []Result) string {
	var b strings.Builder
	_ = WriteText(&b, rs)
	return "\n" + b.String()
}

// envOf is an Env function over a fixed set of variables.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// expect checks one result's status and that detail and fix contain the
// given fragments.
func expect(t *testing.T, r Result, status Status, detail []string, fix []string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %s, want %s\n%s", r.Check, r.Status, status, dump([]Result{r}))
	}
	for _, s := range detail {
		if !strings.Contains(r.Detail, s) {
			t.Errorf("%s: detail %q lacks %q", r.Check, r.Detail, s)
		}
	}
	for _, s := range fix {
		if !strings.Contains(r.Fix, s) {
			t.Errorf("%s: fix %q lacks %q", r.Check, r.Fix, s)
		}
	}
	if status == StatusOK && r.Fix != "" {
		t.Errorf("%s: ok with a fix %q", r.Check, r.Fix)
	}
	if status != StatusOK && r.Fix == "" {
		t.Errorf("%s: %s without a fix", r.Check, status)
	}
}
