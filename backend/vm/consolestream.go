package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// ConsoleOptions says which text console to open and how.
type ConsoleOptions struct {
	// Device is a ConsoleDevice's Device; "" opens the domain's first console.
	Device string
	// Force takes the console over from whichever client holds it; that
	// client's stream ends.
	Force bool
}

// maxSend bounds one libvirt stream message: a large paste goes in pieces.
const maxSend = 64 << 10

// ErrConsoleTakenOver ends a console stream that another client took over.
var ErrConsoleTakenOver = errors.New("another client took the console over")

// ErrConsoleClosed is returned by Read and Write after Close.
var ErrConsoleClosed = errors.New("the console is closed")

// TextConsole is one text console of one domain, bound to its UUID and
// device when resolved; Open asks libvirt for that console anew each time,
// so a Reconnect reaches the same VM's console or fails, never another's.
type TextConsole struct {
	Name, UUID string
	// Device is the console's device name, the default console resolved.
	Device string
	// Label names the device for the page ("Serial port 0").
	Label string
	// Open attaches to the console; force takes it over from another client.
	Open func(ctx context.Context, force bool) (*ConsoleStream, error)
}

// TextConsole checks that the running domain uuid has the text console
// device ("" for its first) and returns a TextConsole that opens it.
func (s *Source) TextConsole(ctx context.Context, uuid, device string) (TextConsole, error) {
	r, err := s.liveConsole(ctx, uuid, device)
	name := r.name
	if name == "" {
		name = s.nameOf(uuid)
	}
	if err != nil {
		return TextConsole{}, fmt.Errorf("cannot open the serial console of %s: %w", name, err)
	}
	dev := r.dev.Device
	return TextConsole{
		Name: name, UUID: uuid, Device: dev, Label: r.dev.Label(),
		Open: func(ctx context.Context, force bool) (*ConsoleStream, error) {
			return s.OpenConsole(ctx, uuid, ConsoleOptions{Device: dev, Force: force})
		},
	}, nil
}

// liveConsoleDev is a running domain's text console device at one moment.
type liveConsoleDev struct {
	name string
	dev  ConsoleDevice
}

// liveConsole finds the device of a running domain that OpenConsole would open.
func (s *Source) liveConsole(ctx context.Context, uuid, device string) (liveConsoleDev, error) {
	return onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (liveConsoleDev, error) {
		return lookConsole(d, device)
	})
}

func lookConsole(d *libvirt.Domain, device string) (liveConsoleDev, error) {
	n, _ := d.GetName()
	r := liveConsoleDev{name: n}
	if active, err := d.IsActive(); err != nil {
		return r, err
	} else if !active {
		return r, ErrNotRunning
	}
	doc, err := d.GetXMLDesc(0)
	if err != nil {
		return r, err
	}
	devs, err := parseConsoleDevices(doc)
	if err != nil {
		return r, err
	}
	if len(devs) == 0 {
		return r, fmt.Errorf("%w; shut it down to add one, which works from its next start", ErrNoSerial)
	}
	if r.dev, err = pickConsole(devs, device); err != nil {
		return r, err
	}
	if !r.dev.Openable() {
		return r, fmt.Errorf("its %s is connected to a %s, and libvirt opens only pty consoles: %w", r.dev.Label(), r.dev.Type, ErrNoSerial)
	}
	return r, nil
}

// ConsoleStream is an open text console: Read gives the replay first (see
// Replay), then what the guest writes; Write sends keystrokes. One reader,
// one writer and a Close may run at the same time; Close unblocks both.
// The stream ends with io.EOF when the domain stops, and with an error
// wrapping ErrConsoleTakenOver when another client forces it off.
type ConsoleStream struct {
	Name, UUID, Device string

	replay     []byte
	replayFrom string
	pending    []byte // replay not read yet; the reader's own

	st     *libvirt.Stream
	key    historyKey
	hist   *consoleHistory
	readOK chan struct{} // readable, hung up or failed: try Recv again
	sendOK chan struct{} // writable, hung up or failed: try Send again
	done   chan struct{} // closed by Close

	use     sync.RWMutex // read-held around libvirt calls, held by teardown
	evMu    sync.Mutex
	waiting libvirt.StreamEventType // events a Read or Write waits for

	closeOnce sync.Once
	torn      chan struct{}
	unlink    func() // drops the Source's link reference and its record of this stream
}

// Replay is what the stream yielded before live output: the tail of the
// guest console log when the domain logs this console to a file readable
// here (it holds everything the guest wrote, attached or not), else the
// output this Source saw on the console since it first attached; at most
// ReplayBytes, from a line start. Fixed when the stream opened.
func (c *ConsoleStream) Replay() []byte { return c.replay }

// ReplayFrom says where Replay came from, for the page: the log file's
// path, "output seen since first attached", or "" with no replay.
func (c *ConsoleStream) ReplayFrom() string { return c.replayFrom }

// OpenConsole attaches to a running domain's text console through libvirt
// (a stream, so it works for remote URIs too). Errors wrap ErrNotRunning,
// ErrNoSerial or ErrConsoleBusy (then opts.Force takes the console over).
func (s *Source) OpenConsole(ctx context.Context, uuid string, opts ConsoleOptions) (*ConsoleStream, error) {
	name := s.nameOf(uuid)
	fail := func(err error) error {
		if name == uuid {
			name = "VM " + uuid
		}
		if errors.Is(err, ErrNotRunning) || errors.Is(err, ErrNoSerial) || errors.Is(err, ErrConsoleBusy) {
			return fmt.Errorf("cannot open the serial console of %s: %w", name, err)
		}
		return fmt.Errorf("cannot open the serial console of %s: %s", name, Message(err))
	}
	l := s.acquire()
	if l == nil {
		return nil, fail(errors.New("not connected to libvirt"))
	}
	type result struct {
		c    *ConsoleStream
		name string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		c, n, err := s.attach(l, uuid, opts)
		if err != nil {
			s.release(l)
		}
		res <- result{c, n, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			if r.name != "" {
				name = r.name
			}
			return nil, fail(r.err)
		}
		return r.c, nil
	case <-ctx.Done():
		go func() { // a console opened after the caller gave up is let go
			if r := <-res; r.c != nil {
				_ = r.c.Close()
			}
		}()
		return nil, fail(fmt.Errorf("libvirt did not answer: %w", ctx.Err()))
	}
}

// attach opens the stream on link l, whose reference the stream keeps.
func (s *Source) attach(l *link, uuid string, opts ConsoleOptions) (*ConsoleStream, string, error) {
	d, err := l.conn.LookupDomainByUUIDString(uuid)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = d.Free() }()
	r, err := lookConsole(d, opts.Device)
	if err != nil {
		return nil, r.name, err
	}
	c, err := s.stream(l, d, uuid, r, opts.Force)
	return c, r.name, err
}

// stream opens the console device r of d as a non-blocking stream.
func (s *Source) stream(l *link, d *libvirt.Domain, uuid string, r liveConsoleDev, force bool) (*ConsoleStream, error) {
	st, err := l.conn.NewStream(libvirt.STREAM_NONBLOCK)
	if err != nil {
		return nil, err
	}
	flags := libvirt.DOMAIN_CONSOLE_SAFE
	if force {
		flags |= libvirt.DOMAIN_CONSOLE_FORCE
	}
	if err := d.OpenConsole(r.dev.Device, st, flags); err != nil {
		_ = st.Free()
		return nil, openConsoleError(err)
	}
	c := &ConsoleStream{
		Name: r.name, UUID: uuid, Device: r.dev.Device,
		st: st, hist: &s.history, key: historyKey{l.uri, uuid, r.dev.Device},
		readOK: make(chan struct{}, 1), sendOK: make(chan struct{}, 1),
		done: make(chan struct{}), torn: make(chan struct{}),
	}
	// The callback runs on libvirt's event loop; it only signals, so it
	// holds no lock a libvirt call could be waiting on. The binding never
	// forgets a stream callback (it registers no free function), so it
	// holds only the two small channels, not the stream.
	readOK, sendOK := c.readOK, c.sendOK
	err = st.EventAddCallback(0, func(_ *libvirt.Stream, ev libvirt.StreamEventType) {
		if ev&(libvirt.STREAM_EVENT_READABLE|libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP) != 0 {
			notify(readOK)
		}
		if ev&(libvirt.STREAM_EVENT_WRITABLE|libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP) != 0 {
			notify(sendOK)
		}
	})
	if err != nil {
		_ = st.Abort()
		_ = st.Free()
		return nil, err
	}
	if log := r.dev.LogFile; log != "" && localURI(l.uri) {
		if b := readLogTail(log, ReplayBytes); len(b) > 0 {
			c.replay, c.replayFrom = b, log
		}
	}
	if c.replay == nil {
		if b := s.history.snapshot(c.key); len(b) > 0 {
			c.replay, c.replayFrom = b, "output seen since first attached"
		}
	}
	c.pending = c.replay
	if !s.track(c, l) {
		close(c.done)
		c.teardown() // the caller releases l
		return nil, errors.New("the VM source is closed")
	}
	return c, nil
}

// openConsoleError sorts libvirt's refusals of OpenConsole.
func openConsoleError(err error) error {
	var le libvirt.Error
	if !errors.As(err, &le) {
		return err
	}
	low := strings.ToLower(le.Message)
	switch {
	case strings.Contains(low, "active console session"):
		return fmt.Errorf("%w (%s); take it over to disconnect that client", ErrConsoleBusy, le.Message)
	case le.Code == libvirt.ERR_OPERATION_INVALID && strings.Contains(low, "not running"):
		return ErrNotRunning
	case strings.Contains(low, "cannot find character device"), strings.Contains(low, "cannot find console device"):
		return fmt.Errorf("%w (%s)", ErrNoSerial, le.Message)
	}
	return err
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Read returns the replay first, then output from the guest.
func (c *ConsoleStream) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := c.call(func() (int, error) { return c.st.Recv(p) })
		switch {
		case err == io.EOF:
			return 0, io.EOF
		case err != nil:
			return 0, c.streamError(err)
		case n > 0:
			c.hist.record(c.key, p[:n])
			return n, nil
		}
		// -2: nothing to read yet.
		if err := c.wait(libvirt.STREAM_EVENT_READABLE, c.readOK); err != nil {
			return 0, err
		}
	}
}

// Write sends all of p to the guest.
func (c *ConsoleStream) Write(p []byte) (int, error) {
	sent := 0
	for sent < len(p) {
		chunk := p[sent:min(len(p), sent+maxSend)]
		n, err := c.call(func() (int, error) { return c.st.Send(chunk) })
		switch {
		case err != nil:
			return sent, c.streamError(err)
		case n > 0:
			sent += n
			continue
		}
		// -2: libvirt's send queue is full.
		if err := c.wait(libvirt.STREAM_EVENT_WRITABLE, c.sendOK); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// call runs one non-blocking libvirt call on the stream unless Close began.
func (c *ConsoleStream) call(f func() (int, error)) (int, error) {
	select {
	case <-c.done:
		return 0, ErrConsoleClosed
	default:
	}
	if !c.use.TryRLock() { // teardown holds or awaits it: closing
		return 0, ErrConsoleClosed
	}
	defer c.use.RUnlock()
	return f()
}

// wait asks libvirt for event ev and waits until it comes or Close. The
// events are level-triggered (libvirt raises them on every loop turn while
// true), so each is asked for only while someone waits for it.
func (c *ConsoleStream) wait(ev libvirt.StreamEventType, ch chan struct{}) error {
	if err := c.want(ev, true); err != nil {
		return err
	}
	defer func() { _ = c.want(ev, false) }()
	select {
	case <-ch:
		return nil
	case <-c.done:
		return ErrConsoleClosed
	}
}

// want adds or removes ev from the events the stream's callback gets.
func (c *ConsoleStream) want(ev libvirt.StreamEventType, on bool) error {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	w := c.waiting &^ ev
	if on {
		w |= ev
	}
	if w == c.waiting {
		return nil
	}
	mask := w
	if mask != 0 {
		mask |= libvirt.STREAM_EVENT_ERROR | libvirt.STREAM_EVENT_HANGUP
	}
	_, err := c.call(func() (int, error) { return 0, c.st.EventUpdateCallback(mask) })
	if err != nil {
		return err
	}
	c.waiting = w
	return nil
}

// streamError says why the stream failed.
func (c *ConsoleStream) streamError(err error) error {
	if errors.Is(err, ErrConsoleClosed) {
		return err
	}
	m := Message(err)
	// libvirtd fails the stream of the client a forced open displaced
	// ("stream had I/O failure"); a stopped guest ends it with EOF instead.
	if low := strings.ToLower(m); strings.Contains(low, "i/o failure") || strings.Contains(low, "abort") {
		return fmt.Errorf("the serial console of %s ended: %w (%s)", c.Name, ErrConsoleTakenOver, m)
	}
	return fmt.Errorf("the serial console of %s ended: %s", c.Name, m)
}

// Close ends the console: a Read or Write waiting in another goroutine
// returns at once. It waits a moment for libvirt to release the console
// and says so if libvirt does not answer; the stream is freed later then.
func (c *ConsoleStream) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.done)
		go c.teardown()
	})
	if !first {
		return nil
	}
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-c.torn:
		return nil
	case <-t.C:
		return fmt.Errorf("libvirt has not released the serial console of %s after %s; it is closed in the background", c.Name, closeWait)
	}
}

// teardown waits for calls in flight, then frees the stream.
func (c *ConsoleStream) teardown() {
	c.use.Lock()
	_ = c.st.EventRemoveCallback()
	_ = c.st.Abort()
	_ = c.st.Free()
	c.use.Unlock()
	if c.unlink != nil {
		c.unlink()
	}
	close(c.torn)
}
