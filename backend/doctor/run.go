package doctor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/history"
	"github.com/horcrux-desktop/horcrux/backend/vm"
)

// defaultTimeout bounds each check when Config.Timeout is zero.
const defaultTimeout = 5 * time.Second

// Config says what to check: the hosts the app watches. The zero value
// checks what the app would use with no host named.
type Config struct {
	URIs        []string            // every libvirt host, as vm.Config.URI: "" (or none) for vm.CandidateURIs' defaults
	DockerHosts []string            // every container engine, as container.Config.Host: "" (or none) for DOCKER_HOST or the default socket
	Env         func(string) string // os.Getenv by default (tests inject)
	Timeout     time.Duration       // per check, default 5 s
	// History describes the history store; nil inspects the default one
	// (the app passes its open store's).
	History func() (history.Info, error)
}

// checker is one Run's settings, with the host paths tests point elsewhere.
type checker struct {
	env     func(string) string
	history func() (history.Info, error)
	timeout time.Duration
	euid    int

	uris    []uriTarget    // every URI the libvirt hosts try, once each
	engines []engineTarget // every engine, once each

	procDir    string   // /proc
	cgroupDir  string   // /sys/fs/cgroup
	x11Dir     string   // /tmp/.X11-unix
	daemonDirs []string // searched for libvirtd/dockerd after PATH, which often lacks sbin for users
}

// uriTarget is one libvirt URI to check.
type uriTarget struct {
	uri      string
	explicit bool   // named by the user or LIBVIRT_DEFAULT_URI: a missing libvirt is failed, not warning
	primary  string // for a fallback: the URI its host tries first; "" otherwise
}

// engineTarget is one container engine to check.
type engineTarget struct {
	host     string
	explicit bool // named by the user or DOCKER_HOST: a missing Docker is failed, not warning
}

func newChecker(cfg Config) *checker {
	c := &checker{
		env:        cfg.Env,
		history:    cfg.History,
		timeout:    cfg.Timeout,
		euid:       os.Geteuid(),
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
	c.uris = uriTargets(cfg.URIs, c.env("LIBVIRT_DEFAULT_URI"), c.euid)
	c.engines = engineTargets(cfg.DockerHosts, c.env("DOCKER_HOST"))
	return c
}

// uriTargets lists the URIs that a vm.Source for each host tries, in
// order. A URI two hosts share is checked once: as needed if either names
// it, and as a fallback only if it is one for both.
func uriTargets(hosts []string, envURI string, euid int) []uriTarget {
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	var out []uriTarget
	for _, h := range hosts {
		cands := vm.CandidateURIs(h, envURI, euid)
		for i, uri := range cands {
			t := uriTarget{uri: uri, explicit: h != "" || envURI != ""}
			if i > 0 {
				t.primary = cands[0]
			}
			j := slices.IndexFunc(out, func(o uriTarget) bool { return o.uri == uri })
			if j < 0 {
				out = append(out, t)
				continue
			}
			out[j].explicit = out[j].explicit || t.explicit
			if t.primary == "" {
				out[j].primary = ""
			}
		}
	}
	return out
}

// engineTargets lists the engines as container.NewSource resolves them,
// each once, in order.
func engineTargets(hosts []string, envHost string) []engineTarget {
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	var out []engineTarget
	for _, h := range hosts {
		t := engineTarget{host: h, explicit: h != ""}
		if h == "" {
			t = engineTarget{host: envHost, explicit: envHost != ""}
		}
		if t.host == "" {
			t.host = defaultDockerHost
		}
		j := slices.IndexFunc(out, func(o engineTarget) bool { return o.host == t.host })
		if j < 0 {
			out = append(out, t)
			continue
		}
		out[j].explicit = out[j].explicit || t.explicit
	}
	return out
}

// anyExplicit reports whether the user named any libvirt URI.
func (c *checker) anyExplicit() bool {
	return slices.ContainsFunc(c.uris, func(t uriTarget) bool { return t.explicit })
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
		slotHistory
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
	wg.Go(func() {
		// One result per engine, in order, each on its own goroutine.
		rs := make([]Result, len(c.engines))
		var each sync.WaitGroup
		for i, e := range c.engines {
			each.Go(func() {
				rs[i] = c.safe("Docker connection "+e.host, func() []Result { return []Result{c.docker(ctx, e)} })[0]
			})
		}
		each.Wait()
		slots[slotDocker] = rs
	})
	one(slotDisplay, checkDisplay, c.display)
	one(slotDBus, checkDBus, c.dbus)
	one(slotBrowser, checkBrowser, c.browser)
	one(slotHistory, checkHistory, c.historyStore)
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
