package container

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/horcrux-desktop/horcrux/internal/sshpipe"
)

// sshArgs turns ssh://[user@]host[:port] into the arguments that run
// `docker system dial-stdio` on that host, as the docker CLI does: the
// user's ssh configuration, keys and agent apply; nothing is asked for.
func sshArgs(addr string) ([]string, error) {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" || strings.HasPrefix(u.Hostname(), "-") {
		return nil, fmt.Errorf("%q is not an ssh://[user@]host[:port] address", addr)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, fmt.Errorf("%q: an ssh:// address takes no path or query", addr)
	}
	args := sshpipe.KeepAlive()
	if u.User != nil {
		args = append(args, "-l", u.User.Username())
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	// "--" keeps a host name from being read as an option.
	return append(args, "--", u.Hostname(), "docker", "system", "dial-stdio"), nil
}

// sshDial returns a dialer that reaches the engine through ssh; every
// connection is one ssh process, ended when the connection closes.
func sshDial(args []string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return sshpipe.Dial(args) }
}
