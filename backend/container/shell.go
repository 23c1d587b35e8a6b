package container

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
	"unicode"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
)

const (
	// shellWithin bounds opening a shell: whatever fails is said within it,
	// so a console page never stays blank.
	shellWithin = 3 * time.Second
	// shellWithinSSH is the bound for an engine reached over ssh, where each
	// new connection (a shell's exec attach is one) is an ssh handshake and
	// the first also negotiates the API: 0.9 s and 2.4 s here, more on a
	// busy link. It stays under the console proxy's 10 s dial deadline, so
	// the page gets these words rather than the proxy's.
	shellWithinSSH = 8 * time.Second
	// startPollMin and startPollMax pace the exec inspects that tell a
	// command that started from one the engine could not start (runc takes
	// ~50 ms to start one here).
	startPollMin = 2 * time.Millisecond
	startPollMax = 50 * time.Millisecond
	// failureTextMax bounds what is kept of the engine's words about a
	// command it could not start.
	failureTextMax = 4096
	// maxTermSize is the largest side a terminal can have (the kernel's
	// winsize holds 16-bit values).
	maxTermSize = 1<<16 - 1
)

// defaultShells are what Shell runs when not told: bash, else sh for images
// without bash (busybox, alpine, distroless debug images).
func defaultShells() [][]string { return [][]string{{"/bin/bash"}, {"/bin/sh"}} }

// Shell is an interactive command in a container with a terminal, as
// `docker exec -it` runs it: what is written to it is typed, what it prints
// is read from it, until the command ends (io.EOF) or Close. Resize changes
// its terminal's size. Read and Write may be called concurrently.
type Shell struct {
	src    *Source
	cli    engine
	execID string
	name   string // the container, for error words
	cmd    []string
	conn   net.Conn
	r      *bufio.Reader
	first  chan struct{} // closed when the start watcher stops peeking at r: Read may use it
	once   sync.Once
}

// A Shell is what the console proxy takes for a text console: a stream
// that can also be resized.
var _ interface {
	io.ReadWriteCloser
	Resize(cols, rows int) error
} = (*Shell)(nil)

// Command is the command the shell runs: the one asked for, or the default
// shell that the container has.
func (sh *Shell) Command() []string { return append([]string(nil), sh.cmd...) }

// Read reads what the command prints (raw terminal output).
func (sh *Shell) Read(p []byte) (int, error) {
	<-sh.first
	return sh.r.Read(p)
}

// Write types p into the command's terminal.
func (sh *Shell) Write(p []byte) (int, error) { return sh.conn.Write(p) }

// Resize sets the size of the command's terminal, in character cells.
func (sh *Shell) Resize(cols, rows int) error {
	if err := checkSize(cols, rows); err != nil {
		return err
	}
	ctx, cancel := sh.src.bind(context.Background())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, sh.src.shellBound())
	defer cancelT()
	err := sh.cli.ContainerExecResize(ctx, sh.execID, container.ResizeOptions{Height: uint(rows), Width: uint(cols)})
	if err != nil {
		sh.src.lost(sh.cli, err)
		if isEngineTrouble(err) {
			return &wordsError{describe(err, sh.src.address(sh.cli)), err}
		}
		return &wordsError{fmt.Sprintf("cannot resize the shell in container %s: %s", sh.name, daemonWords(err)), err}
	}
	return nil
}

// Close ends the session: the connection to the command is closed. As with
// `docker exec`, the engine leaves a command that does not end by itself
// running in the container.
func (sh *Shell) Close() error {
	sh.once.Do(func() {
		sh.conn.Close()
		sh.src.mu.Lock()
		delete(sh.src.shells, sh)
		sh.src.mu.Unlock()
	})
	return nil
}

// shellBound is how long opening a shell on s's engine may take.
func (s *Source) shellBound() time.Duration {
	if s.overSSH() {
		return shellWithinSSH
	}
	return shellWithin
}

func checkSize(cols, rows int) error {
	if cols < 1 || rows < 1 || cols > maxTermSize || rows > maxTermSize {
		return fmt.Errorf("a terminal of %dx%d characters is not possible: each side must be 1 to %d", cols, rows, maxTermSize)
	}
	return nil
}

// Shell opens an interactive command with a terminal of cols x rows in the
// running container id (ID or name), through the engine's exec calls. With
// no cmd it runs /bin/bash, or /bin/sh when the container has no bash; a cmd
// given runs as it is, or fails. It returns once the command has started, or
// within 3 s, 8 s over ssh (sooner if ctx ends), with an error in words: the container is
// not running or does not exist, the engine is down or hung, the command
// cannot run. Close of the Source closes every open Shell.
func (s *Source) Shell(ctx context.Context, id string, cmd []string, cols, rows int) (*Shell, error) {
	if err := checkSize(cols, rows); err != nil {
		return nil, err
	}
	cli, err := s.client()
	if err != nil {
		return nil, &wordsError{describe(err, s.host), err}
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, s.shellBound())
	defer cancelT()

	tries := [][]string{cmd}
	if len(cmd) == 0 {
		tries = shellsIn(ctx, cli, id)
	}
	var failed []*notStarted
	for _, c := range tries {
		sh, err := s.startShell(ctx, cli, id, c, cols, rows)
		var ns *notStarted
		if errors.As(err, &ns) {
			failed = append(failed, ns) // the next default shell, if any
			continue
		}
		if err != nil {
			if s.ctx.Err() != nil {
				err = errClosed
			}
			s.lost(cli, err)
			return nil, &wordsError{s.describeShell(ctx, cli, id, err), err}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			sh.conn.Close()
			return nil, &wordsError{describe(errClosed, s.host), errClosed}
		}
		s.shells[sh] = struct{}{}
		return sh, nil
	}
	return nil, &wordsError{describeNotStarted(s.label(id), failed, len(cmd) == 0), failed[len(failed)-1]}
}

// shellsIn returns the default shells to try in container id, without
// /bin/bash when the engine says there is no such file: an exec that cannot
// start costs a connection (an ssh process for ssh:// engines), a stat is
// one request on a pooled one. When the engine cannot tell, bash is tried.
func shellsIn(ctx context.Context, cli engine, id string) [][]string {
	shells := defaultShells()
	if _, err := cli.ContainerStatPath(ctx, id, shells[0][0]); cerrdefs.IsNotFound(err) {
		return shells[1:] // or no such container: the exec says so
	}
	return shells
}

// notStarted is a command the engine could not start in the container
// (missing, not executable): the exec ended with 126 or 127 before it ran.
type notStarted struct {
	cmd  []string
	code int
	text string // the engine's words, from the exec's stream
}

func (e *notStarted) Error() string {
	return fmt.Sprintf("%s could not start (exit status %d): %s", strings.Join(e.cmd, " "), e.code, e.text)
}

// startShell runs cmd in an exec with a terminal and waits until it has
// started, or ended, or could not start.
func (s *Source) startShell(ctx context.Context, cli engine, id string, cmd []string, cols, rows int) (*Shell, error) {
	// ConsoleSize is sent from API 1.42 on; older engines (dockerd 20.10,
	// Podman 4) learn the size from the resize once the command runs.
	size := &[2]uint{uint(rows), uint(cols)}
	created, err := cli.ContainerExecCreate(ctx, id, container.ExecOptions{
		Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: cmd, ConsoleSize: size,
	})
	if err != nil {
		return nil, err
	}
	hr, err := attach(ctx, cli, created.ID, container.ExecAttachOptions{Tty: true, ConsoleSize: size})
	if err != nil {
		return nil, err
	}
	sh := &Shell{src: s, cli: cli, execID: created.ID, name: s.label(id), cmd: cmd, conn: hr.Conn, r: hr.Reader,
		first: make(chan struct{})}
	// Whether the stream has data or has ended helps tell a command that
	// ran and exited from one not started yet (Podman forgets the pid of a
	// command that exited). Peek leaves the data for Read.
	peeked := make(chan error, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sh.conn.Close()
		return nil, errClosed
	}
	s.wg.Add(1) // under mu, as Close takes it before it waits
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		_, err := sh.r.Peek(1)
		peeked <- err
		close(sh.first)
	}()
	running, err := awaitStart(ctx, cli, created.ID, cmd, peeked)
	var ns *notStarted
	if errors.As(err, &ns) {
		ns.text = sh.failureText(ctx)
	}
	if err == nil && running {
		err = cli.ContainerExecResize(ctx, created.ID, container.ResizeOptions{Height: uint(rows), Width: uint(cols)})
		if err != nil && !isEngineTrouble(err) {
			err = nil // the command ended meanwhile: its output and EOF tell
		}
	}
	if err != nil {
		sh.conn.Close()
		return nil, err
	}
	return sh, nil
}

// attach hijacks the exec's connection. Once connected, the client's hijack
// no longer watches ctx, so an engine that hangs there would hold the caller
// for ever: wait for ctx instead, and leave the call to close the connection
// it makes, if ever, after the caller gave up.
func attach(ctx context.Context, cli engine, execID string, opts container.ExecAttachOptions) (types.HijackedResponse, error) {
	type result struct {
		hr  types.HijackedResponse
		err error
	}
	done := make(chan result)
	go func() {
		hr, err := cli.ContainerExecAttach(ctx, execID, opts)
		select {
		case done <- result{hr, err}:
		case <-ctx.Done():
			if err == nil {
				hr.Close()
			}
		}
	}()
	select {
	case r := <-done:
		return r.hr, r.err
	case <-ctx.Done():
		return types.HijackedResponse{}, ctx.Err()
	}
}

// awaitStart inspects the exec until its command runs (true), ran and ended
// (false), or could not start (*notStarted). Engines differ: dockerd shows
// Running with pid 0 while starting and keeps the pid after the end; Podman
// shows pid 0 again after the end; both end a command they cannot start with
// status 126 or 127 and no pid. peeked says when the stream has data or
// ended: before that, pid 0 and status 0 may mean "not started yet".
func awaitStart(ctx context.Context, cli engine, execID string, cmd []string, peeked <-chan error) (bool, error) {
	stirred := false // the stream has data or ended: the command started or failed
	for delay := startPollMin; ; delay = min(2*delay, startPollMax) {
		info, err := cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return false, err
		}
		switch {
		case info.Pid != 0:
			return info.Running, nil
		case info.Running:
			// starting
		case info.ExitCode == 126 || info.ExitCode == 127:
			return false, &notStarted{cmd: cmd, code: info.ExitCode}
		case info.ExitCode != 0 || stirred:
			return false, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-peeked:
			stirred, peeked = true, nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		t.Stop()
	}
}

// failureText is what the engine wrote on the stream of a command it could
// not start, as one short line.
func (sh *Shell) failureText(ctx context.Context) string {
	stop := context.AfterFunc(ctx, func() { sh.conn.Close() })
	defer stop()
	select {
	case <-sh.first:
	case <-ctx.Done():
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(sh.r, failureTextMax))
	return oneLine(string(b))
}

// oneLine turns an engine's message (terminal output, possibly several
// lines and escape sequences) into one printable line of at most 300 runes.
func oneLine(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(strings.ToValidUTF8(s, "")), "Error: ")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || !unicode.IsPrint(r) }), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// describeShell says why a shell could not be opened in container id.
func (s *Source) describeShell(ctx context.Context, cli engine, id string, err error) string {
	name := s.label(id)
	switch {
	case errors.Is(err, errClosed):
		return describe(err, s.host)
	case cerrdefs.IsNotFound(err):
		return fmt.Sprintf("cannot open a shell in container %s: there is no such container (removed?)", name)
	case isEngineTrouble(err):
		return describe(err, s.address(cli))
	}
	// Engines refuse an exec in a container that is not running in their
	// own words (dockerd 409, Podman 500): say its state instead.
	if info, ierr := cli.ContainerInspect(ctx, id); ierr == nil && info.ContainerJSONBase != nil && info.State != nil {
		switch st := info.State.Status; {
		case st == "paused":
			return fmt.Sprintf("cannot open a shell in container %s: it is paused; unpause it first", name)
		case st != "running":
			return fmt.Sprintf("cannot open a shell in container %s: it is not running (%s); start it first", name, st)
		}
	}
	return fmt.Sprintf("cannot open a shell in container %s: %s", name, daemonWords(err))
}

// describeNotStarted says why no command could start in container name.
func describeNotStarted(name string, failed []*notStarted, defaults bool) string {
	last := failed[len(failed)-1]
	if defaults {
		var cmds []string
		for _, c := range defaultShells() {
			cmds = append(cmds, c[0])
		}
		return fmt.Sprintf("cannot open a shell in container %s: neither %s can run there (%s); give the command to run",
			name, strings.Join(cmds, " nor "), last.text)
	}
	return fmt.Sprintf("cannot run %s in container %s: %s", strings.Join(last.cmd, " "), name, last.text)
}
