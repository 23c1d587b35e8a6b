package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/horcrux-desktop/horcrux/backend/container"
)

// defaultDockerHost is where the Docker client looks without DOCKER_HOST.
const defaultDockerHost = client.DefaultDockerHost

// docker checks one engine as the container list reaches it: reachable
// (with its versions), or why not.
func (c *checker) docker(ctx context.Context, e engineTarget) Result {
	host := e.host
	r := Result{Check: "Docker connection " + host, Status: StatusOK}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	u, err := client.ParseHostURL(host)
	if err == nil && !slices.Contains([]string{"unix", "tcp", "http", "https", "ssh"}, u.Scheme) {
		err = fmt.Errorf("%s:// addresses are not supported", u.Scheme)
	}
	if err != nil {
		r.Status = StatusFailed
		r.Detail = "cannot use Docker host " + strconv.Quote(host) + ": " + err.Error()
		r.Fix = "use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host (--docker-host, DOCKER_HOST or Settings)"
		return r
	}
	if u.Scheme == "ssh" {
		return c.dockerSSH(ctx, r, host)
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
		return c.dockerUnreachable(ctx, r, e, network, addr, err)
	}
	_ = conn.Close()

	v, err := container.ServerVersion(ctx, host)
	switch {
	case err == nil:
		r.Detail = container.EngineName(v) + " answers at " + host
	case errors.Is(err, fs.ErrPermission):
		return c.dockerForbidden(r, addr)
	case ctx.Err() != nil:
		r.Status = StatusFailed
		r.Detail = fmt.Sprintf("Docker at %s accepted a connection but did not answer within %s: it may be hung or overloaded", host, c.timeout)
		r.Fix = "sudo systemctl restart docker"
	case strings.HasPrefix(err.Error(), "Error response from daemon"):
		// An HTTP answer, but not the Docker API's.
		r.Status = StatusFailed
		r.Detail = "something answers at " + host + " but not as Docker: " + strings.TrimPrefix(err.Error(), "Error response from daemon: ")
		r.Fix = "point --docker-host, DOCKER_HOST or Settings at the Docker socket (default " + defaultDockerHost + ")"
	default:
		r.Status = StatusFailed
		r.Detail = "cannot talk to Docker at " + host + ": " + err.Error()
		r.Fix = "check the address (--docker-host, DOCKER_HOST or Settings), and DOCKER_CERT_PATH and DOCKER_TLS_VERIFY for an engine that uses TLS"
	}
	return r
}

// dockerSSH checks an engine reached through ssh, as the container list
// reaches it: `ssh host docker system dial-stdio`.
func (c *checker) dockerSSH(ctx context.Context, r Result, host string) Result {
	v, err := container.ServerVersion(ctx, host)
	if err == nil {
		r.Detail = container.EngineName(v) + " answers at " + host + " (through ssh)"
		return r
	}
	r.Status = StatusFailed
	r.Detail, r.Fix = sshWords(host, err, ctx.Err() != nil, c.timeout)
	return r
}

// sshProblem is one way reaching an engine through ssh fails: the words in
// the error that tell it, and what to say.
type sshProblem struct {
	marks  []string // any of these, lower-case, in the error
	detail string   // {host} is the host's name, {error} what failed
	fix    string   // also {login} (user@host) and {ssh}, the ssh command that logs in as the app does
}

// sshProblems are tried in order: the remote docker's own errors first,
// because they contain words ("permission denied", "connection refused")
// that ssh's errors use too.
var sshProblems = []sshProblem{
	{[]string{"cannot run ssh"},
		"ssh is not installed here ({error}), so Horcrux cannot reach the engine on {host}",
		"sudo apt-get install openssh-client"},
	{[]string{"is not an ssh://", "takes no path or query"},
		"cannot use this address: {error}",
		"write it as ssh://user@host or ssh://user@host:port (--docker-host, DOCKER_HOST or Settings)"},
	{[]string{"docker: command not found", "docker: not found", "command not found: docker", "\"docker\": executable file not found"},
		"ssh logs in to {host}, but there is no `docker` command there ({error}): the container list of that host is empty",
		"install Docker on {host} (`sudo apt-get install docker.io`), or put `docker` on the PATH of non-interactive ssh sessions there"},
	{[]string{"is not a docker command", "unknown command"},
		"the Docker CLI on {host} is too old to be reached through ssh ({error}): it needs `docker system dial-stdio`, Docker 18.09 or later",
		"upgrade Docker on {host}"},
	{[]string{"connect: permission denied", "permission denied while trying to connect to the docker"},
		"ssh logs in to {host}, but that user may not use Docker there ({error})",
		"on {host}, add the user to the docker group (`sudo usermod -aG docker USER`), or connect as a user who may use Docker"},
	{[]string{"raw stream connection", "cannot connect to the docker daemon", "is the docker daemon running"},
		"ssh logs in to {host}, but Docker is not running there ({error}): the container list of that host is empty",
		"start Docker on {host} (`sudo systemctl start docker` there)"},
	{[]string{"could not resolve hostname"},
		"the host name {host} is unknown ({error})",
		"check the host name in the address, or name it in /etc/hosts or ~/.ssh/config"},
	{[]string{"connection refused"},
		"nothing accepts ssh connections on {host} ({error}): sshd is not running there, or listens on another port",
		"start sshd on {host} (`sudo systemctl start ssh`), or put its port in the address: ssh://user@host:port"},
	{[]string{"connection timed out", "operation timed out", "no route to host", "network is unreachable", "host is unreachable"},
		"{host} cannot be reached ({error})",
		"check that this machine reaches {host} (network, VPN, firewall): `{ssh} true`"},
	{[]string{"host key verification failed", "remote host identification has changed"},
		"ssh does not trust the host key of {host} ({error}), and Horcrux cannot ask you to",
		"connect once with `{ssh}` and accept the key; if it changed on purpose, first `ssh-keygen -R {host}`"},
	{[]string{"permission denied", "too many authentication failures"},
		"{host} refused the ssh login ({error}): Horcrux logs in with your keys or agent only, never a password",
		"install your key there (`ssh-copy-id {login}`), then check that `{ssh} docker version` works without a prompt"},
}

// sshWords says why the engine at host (ssh://...) could not be reached,
// and what to do about it.
func sshWords(host string, err error, timedOut bool, timeout time.Duration) (detail, fix string) {
	name, login, sshCmd := sshTarget(host)
	msg := sshMessage(err)
	fill := strings.NewReplacer("{host}", name, "{error}", msg, "{ssh}", sshCmd, "{login}", login)
	low := strings.ToLower(msg)
	for _, p := range sshProblems {
		for _, m := range p.marks {
			if strings.Contains(low, m) {
				return fill.Replace(p.detail), fill.Replace(p.fix)
			}
		}
	}
	if timedOut {
		return fmt.Sprintf("no answer from Docker on %s through ssh within %s: the host is slow or unreachable, or ssh waits for something", name, timeout),
			"run `" + sshCmd + " docker version`, which shows what it waits for"
	}
	return fmt.Sprintf("cannot reach Docker on %s through ssh: %s", name, msg),
		"run `" + sshCmd + " docker version`, which shows the same problem with more detail"
}

// sshMessage is what went wrong, without the HTTP request it went wrong in
// or the placeholder host the client names for ssh (docker.invalid).
func sshMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := strings.TrimPrefix(err.Error(), "error during connect: ")
	return strings.TrimSpace(strings.ReplaceAll(msg, " at http://docker.invalid.", "."))
}

// sshTarget is the host name in an ssh:// address, user@host, and the ssh
// command that logs in as the app does.
func sshTarget(host string) (name, login, cmd string) {
	u, err := url.Parse(host)
	if err != nil || u.Hostname() == "" {
		return host, host, "ssh " + shellQuote(host)
	}
	name, login, cmd = u.Hostname(), u.Hostname(), "ssh "
	if p := u.Port(); p != "" {
		cmd += "-p " + p + " "
	}
	if u.User != nil {
		login = u.User.Username() + "@" + name
	}
	return name, login, cmd + shellQuote(login)
}

// dockerUnreachable explains a failed dial to the engine's address.
func (c *checker) dockerUnreachable(ctx context.Context, r Result, e engineTarget, network, addr string, err error) Result {
	host := e.host
	r.Status = StatusFailed
	switch {
	case network == "unix" && errors.Is(err, fs.ErrNotExist):
		return c.dockerAbsent(r, e, addr)
	case errors.Is(err, fs.ErrPermission):
		return c.dockerForbidden(r, addr)
	case errors.Is(err, syscall.ECONNREFUSED) && network == "unix":
		r.Detail = "Docker is not running: the socket " + addr + " exists but nothing answers on it, so the container list is empty"
		r.Fix = "sudo systemctl start docker"
	case errors.Is(err, syscall.ECONNREFUSED):
		r.Detail = "Docker is not running at " + host + ": the connection was refused, so the container list is empty"
		r.Fix = "start Docker on that host (`sudo systemctl start docker`), or fix the address (--docker-host, DOCKER_HOST or Settings)"
	case ctx.Err() != nil:
		r.Detail = fmt.Sprintf("no answer from %s within %s: the container list is empty", host, c.timeout)
		r.Fix = "check that this machine reaches " + addr + " (firewall, routing), or fix the address (--docker-host, DOCKER_HOST or Settings)"
	default:
		r.Detail = "cannot connect to Docker at " + host + ": " + err.Error()
		r.Fix = "check the address (--docker-host, DOCKER_HOST or Settings) and that Docker runs there"
	}
	return r
}

// dockerAbsent explains a socket file that does not exist.
func (c *checker) dockerAbsent(r Result, e engineTarget, path string) Result {
	if !e.explicit {
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
		if e.explicit {
			r.Fix += " (or point --docker-host, DOCKER_HOST or Settings at the socket it uses)"
		}
		return r
	}
	r.Status = absentStatus(e.explicit)
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
