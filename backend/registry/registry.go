// Package registry is the one list of hosts Horcrux watches. Each libvirt
// host and container engine is one value: its identity, its source of
// sections, its actions and, for libvirt, its console resolver. The window
// and every subcommand build it with New; Settings change it with SetMore.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/horcrux-desktop/horcrux/backend/collector"
	"github.com/horcrux-desktop/horcrux/backend/console"
	"github.com/horcrux-desktop/horcrux/backend/container"
	"github.com/horcrux-desktop/horcrux/backend/doctor"
	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/backend/vm"
)

// Config names the hosts: the ones from the command line (or the defaults)
// and the ones added in Settings.
type Config struct {
	Connect     string   // libvirt URI from --connect; "" for LIBVIRT_DEFAULT_URI or the defaults
	DockerHost  string   // engine from --docker-host; "" for DOCKER_HOST or the default socket
	MoreURIs    []string // libvirt hosts added in Settings
	MoreEngines []string // engines added in Settings
}

// MachineHost is one libvirt host.
type MachineHost struct {
	URI string // as configured; "" is the default
	src *vm.Source
}

// Poll returns the host's VM list now; see vm.Source.Poll.
func (h *MachineHost) Poll(ctx context.Context) model.VMSection { return h.src.Poll(ctx) }

// Changed fires when libvirt reports a lifecycle event.
func (h *MachineHost) Changed() <-chan struct{} { return h.src.Changed() }

// Act runs a lifecycle action on the VM with this UUID.
func (h *MachineHost) Act(ctx context.Context, uuid string, a model.VMAction) error {
	return h.src.Act(ctx, uuid, a)
}

// GuestFacts reads the running VM's guest facts now; see vm.Source.GuestFacts.
func (h *MachineHost) GuestFacts(ctx context.Context, uuid string) (*model.GuestFacts, error) {
	return h.src.GuestFacts(ctx, uuid)
}

// Details reads the VM's devices, disk sizes and XML; see vm.Source.Details.
func (h *MachineHost) Details(ctx context.Context, uuid string) (model.VMDetails, error) {
	return h.src.Details(ctx, uuid)
}

// Snapshots lists the VM's snapshots as a tree; see vm.Source.Snapshots.
func (h *MachineHost) Snapshots(ctx context.Context, uuid string) ([]model.VMSnapshot, error) {
	return h.src.Snapshots(ctx, uuid)
}

// SnapshotChecks says what would make each kind of snapshot fail, before
// the user asks for one.
func (h *MachineHost) SnapshotChecks(ctx context.Context, uuid string) ([]model.SnapshotCheck, error) {
	return h.src.SnapshotChecks(ctx, uuid)
}

// CreateSnapshot takes a snapshot of the VM; see vm.Source.CreateSnapshot.
func (h *MachineHost) CreateSnapshot(ctx context.Context, uuid string, kind model.SnapshotKind, name, description string) error {
	return h.src.CreateSnapshot(ctx, uuid, kind, name, description)
}

// RevertSnapshot returns the VM to a snapshot, losing what came after it.
func (h *MachineHost) RevertSnapshot(ctx context.Context, uuid, name string) error {
	return h.src.RevertSnapshot(ctx, uuid, name)
}

// DeleteSnapshot deletes a snapshot, and its children if asked.
func (h *MachineHost) DeleteSnapshot(ctx context.Context, uuid, name string, withChildren bool) error {
	return h.src.DeleteSnapshot(ctx, uuid, name, withChildren)
}

// Console resolves a console of the running VM uuid: a target whose every
// dial reaches that VM's display or text console and nothing else. Kind ""
// picks what the VM has: VNC, then SPICE, then its serial console.
func (h *MachineHost) Console(ctx context.Context, uuid string, kind console.Kind) (console.Target, error) {
	if kind != "" {
		return h.console(ctx, uuid, kind)
	}
	var first error
	for _, k := range []console.Kind{console.VNC, console.SPICE, console.Serial} {
		t, err := h.console(ctx, uuid, k)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, vm.ErrNoDisplay) && !errors.Is(err, vm.ErrNoSerial) {
			return console.Target{}, err // not running, libvirt gone: every kind would say the same
		}
		if first == nil {
			first = err
		}
	}
	return console.Target{}, first
}

func (h *MachineHost) console(ctx context.Context, uuid string, kind console.Kind) (console.Target, error) {
	switch kind {
	case console.VNC, console.SPICE:
		d, err := h.src.Display(ctx, uuid, vm.Protocol(kind))
		if err != nil {
			return console.Target{}, err
		}
		t := console.Target{Kind: kind, VM: d.Name, UUID: d.UUID, Dial: d.Dial, Desc: d.Via}
		if kind == console.SPICE {
			t.VV = d.VV
		}
		return t, nil
	case console.Serial:
		return h.serial(ctx, uuid)
	}
	return console.Target{}, fmt.Errorf("a VM has no %s console", kind)
}

// serial resolves the VM's first text console; every open asks libvirt
// for that VM's console anew, and the stream starts with its replay.
func (h *MachineHost) serial(ctx context.Context, uuid string) (console.Target, error) {
	tc, err := h.src.TextConsole(ctx, uuid, "")
	if err != nil {
		return console.Target{}, err
	}
	return console.Target{
		Kind: console.Serial, VM: tc.Name, UUID: tc.UUID, Device: tc.Label, Desc: "libvirt console stream " + tc.Device,
		Open: func(ctx context.Context, o console.TextOptions) (io.ReadWriteCloser, error) {
			s, err := tc.Open(ctx, o.Force)
			if errors.Is(err, vm.ErrConsoleBusy) {
				return nil, fmt.Errorf("%w: %w", console.ErrBusy, err)
			}
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}, nil
}

// AddSerialConsole gives the shut-off VM uuid a serial console from its next start; see vm.Source.AddSerialConsole.
func (h *MachineHost) AddSerialConsole(ctx context.Context, uuid string) error {
	return h.src.AddSerialConsole(ctx, uuid)
}

// Engine is one container engine.
type Engine struct {
	Host string // as configured; "" is the default
	src  *container.Source
}

// Poll returns the engine's container list now; see container.Source.Poll.
func (e *Engine) Poll(ctx context.Context) model.ContainerSection { return e.src.Poll(ctx) }

// Changed fires when the engine reports an event.
func (e *Engine) Changed() <-chan struct{} { return e.src.Changed() }

// Act applies an action to the container with this ID.
func (e *Engine) Act(ctx context.Context, id string, a model.ContainerAction) error {
	return e.src.Act(ctx, id, a)
}

// Shell resolves a shell in container id: a target whose every open starts
// cmd (none: /bin/bash, else /bin/sh) in that container with the page's
// terminal size, through the engine's exec calls.
func (e *Engine) Shell(id string, cmd []string) console.Target {
	what := strings.Join(cmd, " ")
	if what == "" {
		what = "bash or sh"
	}
	return console.Target{
		Kind: console.Shell, VM: e.src.Label(id), UUID: id, Device: what, Desc: "exec on " + e.engineName(),
		Open: func(ctx context.Context, o console.TextOptions) (io.ReadWriteCloser, error) {
			cols, rows := o.Cols, o.Rows
			if cols <= 0 || rows <= 0 {
				cols, rows = 80, 24
			}
			return e.src.Shell(ctx, id, cmd, cols, rows)
		},
	}
}

func (e *Engine) engineName() string {
	if e.Host == "" {
		return "the default engine"
	}
	return e.Host
}

// Logs streams a container's output; see container.Source.Logs.
func (e *Engine) Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	return e.src.Logs(ctx, id, tail, follow)
}

// TimestampedLogs streams a container's output, each line after its time;
// see container.Source.TimestampedLogs.
func (e *Engine) TimestampedLogs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	return e.src.TimestampedLogs(ctx, id, tail, follow)
}

// Registry holds the hosts. Its methods are safe from any goroutine.
type Registry struct {
	connect, dockerHost string

	mu       sync.Mutex
	machines []*MachineHost
	engines  []*Engine
	closed   bool
	changed  chan struct{} // closed and replaced when the hosts change
	closing  sync.WaitGroup
}

// New opens a source for every host in cfg. Sources do not touch their
// daemon until first polled.
func New(cfg Config) *Registry {
	r := &Registry{connect: cfg.Connect, dockerHost: cfg.DockerHost, changed: make(chan struct{})}
	r.machines, _ = r.machinesFor(nil, cfg.MoreURIs)
	r.engines, _ = r.enginesFor(nil, cfg.MoreEngines)
	return r
}

// reconcile lists the hosts first then more (blanks and repeats dropped),
// reusing the hosts of old that stay; it also returns the ones that go.
// addr names a host, open makes a new one.
func reconcile[H comparable](old []H, first string, more []string, addr func(H) string, open func(string) H) (keep, gone []H) {
	have := make(map[string]H, len(old))
	for _, h := range old {
		have[addr(h)] = h
	}
	for _, a := range hostList(first, more) {
		h, ok := have[a]
		if !ok {
			h = open(a)
		}
		delete(have, a)
		keep = append(keep, h)
	}
	for _, h := range old {
		if stay, ok := have[addr(h)]; ok && stay == h {
			gone = append(gone, h)
		}
	}
	return keep, gone
}

func (r *Registry) machinesFor(old []*MachineHost, more []string) (keep, gone []*MachineHost) {
	return reconcile(old, r.connect, more, func(h *MachineHost) string { return h.URI },
		func(uri string) *MachineHost { return &MachineHost{URI: uri, src: vm.NewSource(vm.Config{URI: uri})} })
}

func (r *Registry) enginesFor(old []*Engine, more []string) (keep, gone []*Engine) {
	return reconcile(old, r.dockerHost, more, func(e *Engine) string { return e.Host },
		func(host string) *Engine {
			return &Engine{Host: host, src: container.NewSource(container.Config{Host: host})}
		})
}

// hostList is first then more, trimmed, without blanks or repeats.
func hostList(first string, more []string) []string {
	out := []string{first}
	for _, h := range more {
		if h = strings.TrimSpace(h); h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// SetMore replaces the hosts added in Settings, at once: hosts that stay
// keep their connection, new ones are opened, removed ones are closed.
func (r *Registry) SetMore(uris, engines []string) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	machines, goneM := r.machinesFor(r.machines, uris)
	eng, goneE := r.enginesFor(r.engines, engines)
	same := slices.Equal(machines, r.machines) && slices.Equal(eng, r.engines)
	r.machines, r.engines = machines, eng
	if !same {
		close(r.changed)
		r.changed = make(chan struct{})
	}
	// Closing waits for calls in flight; Close waits for these.
	for _, h := range goneM {
		r.closing.Go(func() { _ = h.src.Close() })
	}
	for _, e := range goneE {
		r.closing.Go(func() { _ = e.src.Close() })
	}
	r.mu.Unlock()
}

// Changed is closed when the hosts next change.
func (r *Registry) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// Machines lists the libvirt hosts, the command line's first.
func (r *Registry) Machines() []*MachineHost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.machines)
}

// Engines lists the container engines, the command line's first.
func (r *Registry) Engines() []*Engine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.engines)
}

// Sources lists the hosts as the collector polls them, in registry order.
func (r *Registry) Sources() ([]collector.VMSource, []collector.ContainerSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	vms := make([]collector.VMSource, len(r.machines))
	for i, h := range r.machines {
		vms[i] = h
	}
	cts := make([]collector.ContainerSource, len(r.engines))
	for i, e := range r.engines {
		cts[i] = e
	}
	return vms, cts
}

// Doctor is the doctor's configuration for exactly these hosts.
func (r *Registry) Doctor() doctor.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	var cfg doctor.Config
	for _, h := range r.machines {
		cfg.URIs = append(cfg.URIs, h.URI)
	}
	for _, e := range r.engines {
		cfg.DockerHosts = append(cfg.DockerHosts, e.Host)
	}
	return cfg
}

// Close closes every source and waits for them.
func (r *Registry) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		for _, h := range r.machines {
			r.closing.Go(func() { _ = h.src.Close() })
		}
		for _, e := range r.engines {
			r.closing.Go(func() { _ = e.src.Close() })
		}
	}
	r.mu.Unlock()
	r.closing.Wait()
	return nil
}
