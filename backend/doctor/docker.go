package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/docker/docker/client"

	"github.com/horcrux-desktop/horcrux/backend/container"
)

// defaultDockerHost is where the Docker client looks without DOCKER_HOST.
const defaultDockerHost = client.DefaultDockerHost

// docker checks the engine the container list would use: reachable (with
// its versions), or why not.
func (c *checker) docker(ctx context.Context) Result {
	host := c.dockerHost
	r := Result{Check: "Docker connection " + host, Status: StatusOK}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	u, err := client.ParseHostURL(host)
	if err == nil && u.Scheme != "unix" && u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https" {
		err = fmt.Errorf("%s:// addresses are not supported", u.Scheme)
	}
	if err != nil {
		r.Status = StatusFailed
		r.Detail = "cannot use Docker host " + strconv.Quote(host) + ": " + err.Error()
		r.Fix = "use unix:///path/to/docker.sock or tcp://host:port (--docker-host or DOCKER_HOST)"
		return r
	}
	// Dial first: the socket's own error tells absent, refused and forbidden
	// apart, where the Docker client folds them into one message.
	network, addr := "unix", u.Host
	if u.Scheme != "unix" {
		network = "tcp"
		addr, _, _ = strings.Cut(u.Host, "/") // an http:// host keeps its path here
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return c.dockerUnreachable(ctx, r, network, addr, err)
	}
	_ = conn.Close()

	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		r.Status = StatusFailed
		r.Detail = "cannot make a Docker client for " + host + ": " + err.Error()
		r.Fix = "check DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY"
		return r
	}
	defer func() { _ = cli.Close() }()
	v, err := cli.ServerVersion(ctx)
	switch {
	case err == nil:
		r.Detail = container.EngineName(v) + " answers at " + host
	case errors.Is(err, fs.ErrPermission):
		return c.dockerForbidden(r, addr)
	case ctx.Err() != nil:
		r.Status = StatusFailed
		r.Detail = fmt.Sprintf("Docker at %s accepted a connection but did not answer within %s: it may be hung or overloaded", host, c.timeout)
		r.Fix = "sudo systemctl restart docker"
	default:
		r.Status = StatusFailed
		r.Detail = "something answers at " + host + " but not as Docker: " + strings.TrimPrefix(err.Error(), "Error response from daemon: ")
		r.Fix = "point --docker-host or DOCKER_HOST at the Docker socket (default " + defaultDockerHost + ")"
	}
	return r
}

// dockerUnreachable explains a failed dial to the engine's address.
func (c *checker) dockerUnreachable(ctx context.Context, r Result, network, addr string, err error) Result {
	host := c.dockerHost
	r.Status = StatusFailed
	switch {
	case network == "unix" && errors.Is(err, fs.ErrNotExist):
		return c.dockerAbsent(r, addr)
	case errors.Is(err, fs.ErrPermission):
		return c.dockerForbidden(r, addr)
	case errors.Is(err, syscall.ECONNREFUSED) && network == "unix":
		r.Detail = "Docker is not running: the socket " + addr + " exists but nothing answers on it, so the container list is empty"
		r.Fix = "sudo systemctl start docker"
	case errors.Is(err, syscall.ECONNREFUSED):
		r.Detail = "Docker is not running at " + host + ": the connection was refused, so the container list is empty"
		r.Fix = "start Docker on that host (`sudo systemctl start docker`), or fix --docker-host / DOCKER_HOST"
	case ctx.Err() != nil:
		r.Detail = fmt.Sprintf("no answer from %s within %s: the container list is empty", host, c.timeout)
		r.Fix = "check that this machine reaches " + addr + " (firewall, routing), or fix --docker-host / DOCKER_HOST"
	default:
		r.Detail = "cannot connect to Docker at " + host + ": " + err.Error()
		r.Fix = "check --docker-host / DOCKER_HOST and that Docker runs there"
	}
	return r
}

// dockerAbsent explains a socket file that does not exist.
func (c *checker) dockerAbsent(r Result, path string) Result {
	if !c.dockerExplicit {
		// Rootless Docker listens in the user's runtime directory, which the client does not try.
		if rootless := filepath.Join(c.runtimeDir(), "docker.sock"); rootless != path {
			if fi, err := os.Stat(rootless); err == nil && fi.Mode().Type() == fs.ModeSocket {
				r.Status = StatusFailed
				r.Detail = "no socket at " + path + ", but rootless Docker has one at " + rootless + ", where Horcrux does not look by itself"
				r.Fix = "export DOCKER_HOST=unix://" + rootless + " (or start Horcrux with --docker-host unix://" + rootless + ")"
				return r
			}
		}
	}
	if c.haveBinary("dockerd") {
		r.Status = StatusFailed
		r.Detail = "Docker is installed but not running: there is no socket at " + path + ", so the container list is empty"
		r.Fix = "sudo systemctl start docker"
		if c.dockerExplicit {
			r.Fix += " (or point --docker-host / DOCKER_HOST at the socket it uses)"
		}
		return r
	}
	r.Status = absentStatus(c.dockerExplicit)
	r.Detail = "Docker is not installed or not running: there is no socket at " + path + ", so the container list is disabled"
	r.Fix = "sudo apt-get install docker.io, then `sudo systemctl start docker`"
	return r
}

// dockerForbidden explains a socket the user may not open.
func (c *checker) dockerForbidden(r Result, path string) Result {
	group := "docker"
	owner := ""
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			u, g := strconv.Itoa(int(st.Uid)), strconv.Itoa(int(st.Gid))
			if uu, err := user.LookupId(u); err == nil {
				u = uu.Username
			}
			if gg, err := user.LookupGroupId(g); err == nil {
				g = gg.Name
				// The socket's group is the one to join, unless it is root's.
				if st.Gid != 0 {
					group = gg.Name
				}
			}
			owner = fmt.Sprintf(" (owner %s:%s, mode %04o)", u, g, fi.Mode().Perm())
		}
	}
	r.Status = StatusFailed
	r.Detail = "permission denied on " + path + owner + ": your user may not use Docker, so the container list is empty"
	r.Fix = "sudo usermod -aG " + group + " $USER, then log out and in again (or run `newgrp " + group + "` in this shell)"
	return r
}
