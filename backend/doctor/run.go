package doctor

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// defaultTimeout bounds each check when Config.Timeout is zero.
const defaultTimeout = 5 * time.Second

// Config says what to check; the zero value checks what the app would use.
type Config struct {
	URIs       []string            // libvirt URIs to check; empty = the same default as vm.NewSource (LIBVIRT_DEFAULT_URI, else qemu:///system, and qemu:///session for non-root)
	DockerHost string              // "" = DOCKER_HOST or unix:///var/run/docker.sock
	Env        func(string) string // os.Getenv by default (tests inject)
	Timeout    time.Duration       // per check, default 5 s
}

// checker is one Run's settings, with the host paths tests point elsewhere.
type checker struct {
	env     func(string) string
	timeout time.Duration
	euid    int

	uris         []string
	urisExplicit bool // named by the user: their absence is failed, not warning

	dockerHost     string
	dockerExplicit bool

	procDir    string   // /proc
	cgroupDir  string   // /sys/fs/cgroup
	x11Dir     string   // /tmp/.X11-unix
	daemonDirs []string // searched for libvirtd/dockerd after PATH, which often lacks sbin for users
}

func newChecker(cfg Config) *checker {
	c := &checker{
		env:        cfg.Env,
		timeout:    cfg.Timeout,
		euid:       os.Geteuid(),
		dockerHost: cfg.DockerHost,
		procDir:    "/proc",
		cgroupDir:  "/sys/fs/cgroup",
		x11Dir:     "/tmp/.X11-unix",
		daemonDirs: []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"},
	}
	if c.env == nil {
		c.env = os.Getenv
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	c.uris, c.urisExplicit = defaultURIs(cfg.URIs, c.env("LIBVIRT_DEFAULT_URI"), c.euid)
	c.dockerExplicit = c.dockerHost != ""
	if c.dockerHost == "" {
		c.dockerHost = c.env("DOCKER_HOST")
		c.dockerExplicit = c.dockerHost != ""
	}
	if c.dockerHost == "" {
		c.dockerHost = defaultDockerHost
	}
	return c
}

// defaultURIs mirrors vm.NewSource's candidates: the URIs the app would try.
func defaultURIs(cfg []string, envURI string, euid int) ([]string, bool) {
	switch {
	case len(cfg) > 0:
		return cfg, true
	case envURI != "":
		return []string{envURI}, true
	case euid == 0:
		// root gets no session fallback: it would list nothing.
		return []string{"qemu:///system"}, false
	}
	return []string{"qemu:///system", "qemu:///session"}, false
}

// Run runs every check and returns the results in a stable order. Checks run
// concurrently where independent, each bounded by cfg.Timeout.
func Run(ctx context.Context, cfg Config) []Result {
	return newChecker(cfg).run(ctx)
}

func (c *checker) run(ctx context.Context) []Result {
	// One slot per group, filled concurrently and read in this order.
	const (
		slotProc = iota
		slotCgroup
		slotLibvirt
		slotDocker
		slotDisplay
		slotDBus
		slotBrowser
		slotConsoles
		nSlots
	)
	var slots [nSlots][]Result
	var wg sync.WaitGroup
	one := func(slot int, name string, f func(ctx context.Context) Result) {
		wg.Go(func() {
			slots[slot] = c.safe(name, func() []Result { return []Result{f(ctx)} })
		})
	}
	one(slotProc, checkProc, c.procFigures)
	one(slotCgroup, checkCgroup, c.cgroups)
	one(slotDocker, "Docker connection "+c.dockerHost, c.docker)
	one(slotDisplay, checkDisplay, c.display)
	one(slotDBus, checkDBus, c.dbus)
	one(slotBrowser, checkBrowser, c.browser)
	wg.Go(func() {
		var consoles []Result
		slots[slotLibvirt] = c.safe(checkLibvirtLib, func() []Result {
			var conns []Result
			conns, consoles = c.libvirt(ctx)
			return conns
		})
		slots[slotConsoles] = consoles
	})
	wg.Wait()
	var out []Result
	for _, s := range slots {
		out = append(out, s...)
	}
	return out
}

// safe turns a panicking check into a failed result instead of a crash.
func (c *checker) safe(name string, f func() []Result) (rs []Result) {
	defer func() {
		if p := recover(); p != nil {
			rs = []Result{{
				Check:  name,
				Status: StatusFailed,
				Detail: fmt.Sprintf("the check itself crashed (%v), so this part is unknown", p),
				Fix:    "report this as a Horcrux bug, with the output of `horcrux doctor --json`",
			}}
		}
	}()
	return f()
}

// within runs f on its own goroutine and gives up when ctx ends: for calls
// (libvirt's) that take no context. f must clean up after itself, because
// nobody waits for it once ctx has ended.
func within[T any](ctx context.Context, f func() T) (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- answer{err: fmt.Errorf("crashed: %v", p)}
			}
		}()
		ch <- answer{v: f()}
	}()
	select {
	case a := <-ch:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
