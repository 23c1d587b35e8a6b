package container

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

const (
	// pollRetryMin and pollRetryMax bound how long Poll leaves a lost engine
	// alone before asking again; the events watcher cuts the wait short as
	// soon as the engine answers a ping.
	pollRetryMin = 250 * time.Millisecond
	pollRetryMax = 5 * time.Second
	// streamRetry keeps a stats stream the engine keeps closing (a container
	// flapping between states) from being reopened on every Poll.
	streamRetry = time.Second
	// staleAfter drops figures of a stream that stopped delivering (a hung
	// engine) rather than showing old numbers as current.
	staleAfter = 5 * time.Second
	// inspectWorkers bounds the parallel inspects after a burst of changes.
	inspectWorkers = 8
)

// Source watches one container engine. It keeps one stats stream per running
// container and an events subscription, so Poll returns at list speed. All
// methods are safe for concurrent use.
type Source struct {
	dial    func() (engine, error) // a fresh client after the engine was lost, so the API version is negotiated again
	host    string                 // the configured address, for when no client exists
	changed chan struct{}
	ctx     context.Context // cancelled by Close; every goroutine of the Source watches it
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	polling chan struct{} // one Poll at a time; Close takes it for good

	mu       sync.Mutex
	closed   bool
	cli      engine
	up       bool      // the last Poll reached the engine
	lastErr  string    // words for the last failure
	nextTry  time.Time // while !up, Poll does not ask the engine before this
	retry    time.Duration
	engName  string
	gen      uint64 // Poll generation, marks the streams still wanted
	streams  map[string]*stream
	details  map[string]details // inspect results by container ID
	stale    map[string]bool    // containers with events since their inspect
	names    map[string]string  // ID to name from the last Poll, for error words
	logs     map[*logReader]struct{}
	shells   map[*Shell]struct{}
	dialFail error
}

// stream is the state of one container's stats stream; guarded by Source.mu.
type stream struct {
	cancel  context.CancelFunc
	started time.Time
	ended   bool
	gen     uint64
	fig     figures
	at      time.Time // when fig arrived
}

// details are the inspect figures that the list lacks; they only change when
// the container starts or stops, so they are cached until an event or a
// state change says otherwise.
type details struct {
	state        string
	startedAt    time.Time
	exitCode     int
	restartCount int
	health       string // "" without a health check
}

// NewSource returns a Source for the engine cfg names. It does not connect:
// the first Poll does, and the Source reconnects by itself when the engine
// goes away and comes back.
func NewSource(cfg Config) *Source {
	host := cfg.Host
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = client.DefaultDockerHost
	}
	return newSource(host, dockerDialer(cfg.Host))
}

func newSource(host string, dial func() (engine, error)) *Source {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Source{
		dial:    dial,
		host:    host,
		changed: make(chan struct{}, 1),
		ctx:     ctx,
		cancel:  cancel,
		polling: make(chan struct{}, 1),
		streams: make(map[string]*stream),
		details: make(map[string]details),
		stale:   make(map[string]bool),
		names:   make(map[string]string),
		logs:    make(map[*logReader]struct{}),
		shells:  make(map[*Shell]struct{}),
	}
	if _, err := s.client(); err != nil {
		// A client that cannot be made is a configuration error: every Poll
		// reports it, and there is nothing to watch.
		s.dialFail = err
		return s
	}
	s.wg.Add(1)
	go s.watchEvents()
	return s
}

// Changed signals, at most one pending signal at a time, that containers
// changed (Docker events) or that a lost engine answers again: Poll now.
func (s *Source) Changed() <-chan struct{} { return s.changed }

func (s *Source) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// client returns the current engine client, making one if the last was
// dropped.
func (s *Source) client() (engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if s.cli == nil {
		cli, err := s.dial()
		if err != nil {
			return nil, err
		}
		s.cli = cli
	}
	return s.cli, nil
}

// lost drops a client whose engine could not be reached, so the next attempt
// starts afresh; the engine that comes back may be another version.
func (s *Source) lost(cli engine, err error) {
	if !client.IsErrConnectionFailed(err) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cli == cli {
		s.cli = nil
		s.engName = ""
		_ = cli.Close() // closes idle connections only; streams on it end by themselves
	}
}

// bind returns ctx that is also cancelled by Close.
func (s *Source) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// Poll lists the containers with their latest figures. It returns within
// ctx; when the engine cannot be reached the section says why, and after a
// failure the engine is asked again only after a growing pause (or as soon as
// the events watcher sees it answer).
func (s *Source) Poll(ctx context.Context) model.ContainerSection {
	ctx, cancel := s.bind(ctx)
	defer cancel()
	if s.dialFail != nil {
		return model.ContainerSection{Host: s.host, Availability: model.Unavailable(describeHost(s.host, s.dialFail))}
	}
	select {
	case s.polling <- struct{}{}:
		defer func() { <-s.polling }()
	case <-ctx.Done():
		return s.failed(ctx.Err())
	}
	cli, err := s.client()
	if err != nil {
		return s.failed(err)
	}
	addr := s.address(cli)

	s.mu.Lock()
	if !s.up && time.Now().Before(s.nextTry) {
		sec := model.ContainerSection{Host: addr, Availability: model.Unavailable(s.lastErr)}
		s.mu.Unlock()
		return sec
	}
	s.mu.Unlock()

	list, err := s.list(ctx, cli)
	if err != nil {
		return s.fail(cli, addr, err)
	}
	s.mu.Lock()
	s.up, s.retry, s.lastErr = true, 0, ""
	s.mu.Unlock()

	eng := s.engineName(ctx, cli)
	s.refreshDetails(ctx, cli, list)
	return model.ContainerSection{Host: addr, Availability: model.Available(), Engine: eng, Items: s.merge(cli, list)}
}

// address is where the engine is, for people.
func (s *Source) address(cli engine) string {
	if s.overSSH() {
		return s.host // the client only knows the placeholder it sends in requests
	}
	return cli.DaemonHost()
}

// overSSH says the engine is reached through ssh (dockerDialer).
func (s *Source) overSSH() bool { return strings.HasPrefix(s.host, "ssh://") }

// list is ContainerList, but returns when ctx ends: the client holds a lock
// while it negotiates the API version (the events watcher's request, up to
// versionTimeout on a hung engine) and waits on it whatever ctx says, which
// held a quit. The call ends behind it once the lock is free; Close waits.
func (s *Source) list(ctx context.Context, cli engine) ([]container.Summary, error) {
	type listed struct {
		list []container.Summary
		err  error
	}
	done := make(chan listed, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		l, err := cli.ContainerList(ctx, container.ListOptions{All: true})
		done <- listed{l, err}
	}()
	select {
	case r := <-done:
		return r.list, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// failed is the section for an error before the engine was asked.
func (s *Source) failed(err error) model.ContainerSection {
	if s.ctx.Err() != nil {
		err = errClosed
	}
	return model.ContainerSection{Host: s.host, Availability: model.Unavailable(describe(err, s.host))}
}

// fail records a failed Poll and schedules the next attempt.
func (s *Source) fail(cli engine, addr string, err error) model.ContainerSection {
	if s.ctx.Err() != nil {
		return s.failed(errClosed)
	}
	s.lost(cli, err)
	words := describe(err, addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up = false
	s.lastErr = words
	s.retry = min(max(2*s.retry, pollRetryMin), pollRetryMax)
	s.nextTry = time.Now().Add(s.retry)
	return model.ContainerSection{Host: addr, Availability: model.Unavailable(words)}
}

// engineName returns the engine's name and version, asking once per
// connection.
func (s *Source) engineName(ctx context.Context, cli engine) string {
	s.mu.Lock()
	name := s.engName
	s.mu.Unlock()
	if name != "" {
		return name
	}
	v, err := cli.ServerVersion(ctx)
	if err != nil {
		return "" // asked again on the next Poll
	}
	name = EngineName(v)
	s.mu.Lock()
	if s.cli == cli {
		s.engName = name
	}
	s.mu.Unlock()
	return name
}

// refreshDetails inspects the containers that are new, changed state or had
// an event since their last inspect.
func (s *Source) refreshDetails(ctx context.Context, cli engine, list []container.Summary) {
	var todo []string
	s.mu.Lock()
	listed := make(map[string]bool, len(list))
	for _, c := range list {
		listed[c.ID] = true
		d, ok := s.details[c.ID]
		if !ok || d.state != string(c.State) || s.stale[c.ID] {
			todo = append(todo, c.ID)
			delete(s.stale, c.ID)
		}
	}
	for id := range s.details {
		if !listed[id] {
			delete(s.details, id)
		}
	}
	for id := range s.stale {
		if !listed[id] {
			delete(s.stale, id)
		}
	}
	s.mu.Unlock()
	if len(todo) == 0 {
		return
	}

	ids := make(chan string)
	var wg sync.WaitGroup
	for range min(inspectWorkers, len(todo)) {
		wg.Go(func() {
			for id := range ids {
				info, err := cli.ContainerInspect(ctx, id)
				if err != nil || info.ContainerJSONBase == nil || info.State == nil {
					continue // gone meanwhile, or the engine failed: the list still shows it
				}
				d := detailsOf(info)
				s.mu.Lock()
				s.details[id] = d
				s.mu.Unlock()
			}
		})
	}
	for _, id := range todo {
		ids <- id
	}
	close(ids)
	wg.Wait()
}

func detailsOf(info container.InspectResponse) details {
	d := details{
		state:        string(info.State.Status),
		exitCode:     info.State.ExitCode,
		restartCount: info.RestartCount,
	}
	if h := info.State.Health; h != nil && h.Status != container.NoHealthcheck {
		d.health = string(h.Status)
	}
	if t, err := time.Parse(time.RFC3339Nano, info.State.StartedAt); err == nil && t.Year() > 1 {
		d.startedAt = t
	}
	return d
}

// live reports whether a container in this state has a cgroup to measure.
func live(state string) bool { return state == "running" || state == "paused" }

// merge turns the list into Containers with their stream figures, opening
// streams for containers that became live and closing those of containers
// that stopped or vanished.
func (s *Source) merge(cli engine, list []container.Summary) []model.Container {
	now := time.Now()
	items := make([]model.Container, 0, len(list))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	clear(s.names)
	for _, c := range list {
		it := model.Container{
			ID:      c.ID,
			Name:    nameOf(c.Names, c.ID),
			Image:   c.Image,
			State:   string(c.State),
			Status:  c.Status,
			Command: c.Command,
			Ports:   portsOf(c.Ports),
		}
		s.names[c.ID] = it.Name
		if d, ok := s.details[c.ID]; ok {
			it.ExitCode, it.RestartCount, it.Health = d.exitCode, d.restartCount, d.health
			if live(it.State) {
				it.StartedAt = d.startedAt
			}
		}
		if live(it.State) {
			st := s.streams[c.ID]
			if st == nil || (st.ended && now.Sub(st.started) >= streamRetry) {
				st = s.openStream(cli, c.ID)
			}
			if st != nil {
				st.gen = s.gen
				if !st.ended && now.Sub(st.at) < staleAfter {
					st.fig.fill(&it)
				}
			}
		}
		items = append(items, it)
	}
	for id, st := range s.streams {
		if st.gen != s.gen {
			st.cancel()
			delete(s.streams, id)
		}
	}
	slices.SortFunc(items, func(a, b model.Container) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return items
}

// portsOf converts the list's ports, in a stable order (the engine's
// varies): by container port, then protocol, host port and address.
func portsOf(ps []container.Port) []model.ContainerPort {
	if len(ps) == 0 {
		return nil
	}
	out := make([]model.ContainerPort, 0, len(ps))
	for _, p := range ps {
		out = append(out, model.ContainerPort{HostIP: p.IP, Public: p.PublicPort, Private: p.PrivatePort, Proto: p.Type})
	}
	slices.SortFunc(out, func(a, b model.ContainerPort) int {
		return cmp.Or(cmp.Compare(a.Private, b.Private), strings.Compare(a.Proto, b.Proto),
			cmp.Compare(a.Public, b.Public), strings.Compare(a.HostIP, b.HostIP))
	})
	return out
}

// nameOf picks the container's own name from the engine's list of names,
// which also holds link aliases ("/web/db").
func nameOf(names []string, id string) string {
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if n != "" && !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return shortID(id)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Label is a container's name when the list has seen it, else its short ID.
func (s *Source) Label(id string) string { return s.label(id) }

// label names a container in error words.
func (s *Source) label(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.names[id]; ok {
		return n
	}
	if len(id) == 64 && strings.Trim(id, "0123456789abcdef") == "" {
		return shortID(id)
	}
	return id // a name, or an ID prefix the caller chose
}

// Close stops every goroutine of the Source (stats streams, the events
// watcher, log readers, shells) and waits for them. Later calls report the Source as
// closed.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	logs := make([]*logReader, 0, len(s.logs))
	for l := range s.logs {
		logs = append(logs, l)
	}
	shells := make([]*Shell, 0, len(s.shells))
	for sh := range s.shells {
		shells = append(shells, sh)
	}
	s.mu.Unlock()

	s.cancel()
	for _, l := range logs {
		_ = l.Close()
	}
	for _, sh := range shells {
		_ = sh.Close()
	}
	s.polling <- struct{}{} // waits out a Poll in flight; never given back
	s.wg.Wait()

	s.mu.Lock()
	cli := s.cli
	s.cli = nil
	s.mu.Unlock()
	if cli != nil {
		return cli.Close()
	}
	return nil
}
