package container

import (
	"context"
	"io"
	"strconv"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Logs returns the container's stdout and stderr as one text stream, the last
// tail lines (all of them when tail < 0), and with follow, what it writes
// from then on. ctx bounds the whole stream; Close the reader to stop early.
// Close of the Source closes every open reader.
func (s *Source) Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	return s.openLogs(ctx, id, tail, follow, false)
}

// TimestampedLogs is Logs with each line prefixed by the engine's time of
// it (RFC 3339 with nanoseconds, then a space), as `docker logs -t`.
func (s *Source) TimestampedLogs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	return s.openLogs(ctx, id, tail, follow, true)
}

func (s *Source) openLogs(ctx context.Context, id string, tail int, follow, timestamps bool) (io.ReadCloser, error) {
	cli, err := s.client()
	if err != nil {
		return nil, &wordsError{describe(err, s.host), err}
	}
	ctx, cancel := s.bind(ctx)
	fail := func(err error) (io.ReadCloser, error) {
		cancel()
		s.lost(cli, err)
		return nil, &wordsError{describeLogs(s.label(id), err, cli.DaemonHost()), err}
	}
	info, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		return fail(err)
	}
	tty := info.Config != nil && info.Config.Tty
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: "all", Timestamps: timestamps}
	if tail >= 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	body, err := cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return fail(err)
	}

	l := &logReader{src: s, cancel: cancel, body: body}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		body.Close()
		return nil, &wordsError{describe(errClosed, s.host), errClosed}
	}
	s.logs[l] = struct{}{}
	if !tty {
		// Without a TTY the engine multiplexes both streams in frames.
		pr, pw := io.Pipe()
		l.pipe = pr
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_, err := stdcopy.StdCopy(pw, pw, body)
			pw.CloseWithError(err) // nil: readers see io.EOF
			body.Close()
		}()
	}
	s.mu.Unlock()
	return l, nil
}

// logReader is the reader Logs returns.
type logReader struct {
	src    *Source
	cancel context.CancelFunc
	body   io.ReadCloser
	pipe   *io.PipeReader // demultiplexed text; nil for a TTY container
	once   sync.Once
}

func (l *logReader) Read(p []byte) (int, error) {
	if l.pipe != nil {
		return l.pipe.Read(p)
	}
	return l.body.Read(p)
}

// Close ends the stream and its goroutine.
func (l *logReader) Close() error {
	l.once.Do(func() {
		l.cancel()
		if l.pipe != nil {
			l.pipe.Close() // unblocks the copier if nobody reads
		}
		l.body.Close()
		l.src.mu.Lock()
		delete(l.src.logs, l)
		l.src.mu.Unlock()
	})
	return nil
}
