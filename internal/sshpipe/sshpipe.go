// Package sshpipe runs ssh with its stdin and stdout as a net.Conn: the
// transport for Docker engines and libvirt displays on other hosts. The
// user's ssh configuration, keys and agent apply; ssh's own words replace a
// bare broken pipe when it fails.
package sshpipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Dial starts `ssh args...`; the connection is that process, ended by Close.
func Dial(args []string) (net.Conn, error) {
	// Our own pipes, not StdoutPipe: Wait closes those as soon as ssh
	// exits, and its last words would be lost to "file already closed".
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("ssh", args...)
	cmd.Stdin, cmd.Stdout = inR, outW
	// An ssh left behind by a Horcrux that died keeps its session, and the
	// remote command (nc on a VNC port) with it, until the far side ends.
	cmd.SysProcAttr = endWithParent()
	c := &cmdConn{cmd: cmd, in: inW, out: outR, exited: make(chan struct{})}
	cmd.Stderr = &c.stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("cannot run ssh (install openssh-client): %w", err)
	}
	go func() { cmd.Wait(); close(c.exited) }()
	return c, nil
}

// Exited reports whether the ssh process of a connection from Dial has ended, and what it said.
func Exited(c net.Conn) (done bool, said string) {
	cc, ok := c.(*cmdConn)
	if !ok {
		return false, ""
	}
	select {
	case <-cc.exited:
		return true, strings.TrimSpace(cc.stderr.String())
	default:
		return false, ""
	}
}

// KeepAlive are the options every caller passes: nothing is asked for, and a
// host or sshd that freezes after the connection is up is noticed within
// 15 s (three unanswered keepalives) instead of never.
func KeepAlive() []string {
	return []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"}
}

// cmdConn is a command's stdin and stdout as a net.Conn.
type cmdConn struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    io.ReadCloser
	stderr limitedBuffer
	exited chan struct{}
	close  sync.Once
}

func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.out.Read(p)
	return n, c.explain(err)
}

func (c *cmdConn) Write(p []byte) (int, error) {
	n, err := c.in.Write(p)
	return n, c.explain(err)
}

// explain replaces a broken pipe or an early EOF with what ssh said, once
// it has exited: "Connection refused", "Permission denied (publickey)".
func (c *cmdConn) explain(err error) error {
	if err == nil {
		return nil
	}
	select {
	case <-c.exited:
	case <-time.After(time.Second):
		return err
	}
	msg := strings.TrimSpace(c.stderr.String())
	if msg == "" {
		return err
	}
	if !strings.HasPrefix(msg, "ssh:") {
		msg = "ssh: " + msg
	}
	return errors.New(msg)
}

// Close ends the ssh process.
func (c *cmdConn) Close() error {
	c.close.Do(func() {
		c.in.Close()
		c.cmd.Process.Kill()
		<-c.exited
		c.out.Close()
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr  { return sshAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr { return sshAddr{} }

// Deadlines are not supported on pipes to a process; the HTTP client's own
// timeouts and contexts still apply.
func (c *cmdConn) SetDeadline(time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(time.Time) error { return nil }

type sshAddr struct{}

func (sshAddr) Network() string { return "ssh" }
func (sshAddr) String() string  { return "ssh" }

// limitedBuffer keeps the first 4 KiB written to it: enough for ssh's
// error, never a log that grows.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 4096 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
