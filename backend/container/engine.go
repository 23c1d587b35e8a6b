package container

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/client"
)

// engine is the part of the Docker client this package uses: the I/O
// boundary, so tests can stand in for an engine.
type engine interface {
	DaemonHost() string
	Ping(ctx context.Context) (types.Ping, error)
	ServerVersion(ctx context.Context) (types.Version, error)
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerStats(ctx context.Context, id string, stream bool) (container.StatsResponseReader, error)
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
	ContainerStart(ctx context.Context, id string, options container.StartOptions) error
	ContainerStop(ctx context.Context, id string, options container.StopOptions) error
	ContainerRestart(ctx context.Context, id string, options container.StopOptions) error
	ContainerPause(ctx context.Context, id string) error
	ContainerUnpause(ctx context.Context, id string) error
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
	ContainerLogs(ctx context.Context, id string, options container.LogsOptions) (io.ReadCloser, error)
	ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, options container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error
	ContainerStatPath(ctx context.Context, id, path string) (container.PathStat, error)
	Close() error
}

var _ engine = (*client.Client)(nil)

// dockerDialer returns a function making a Docker client for host (empty:
// DOCKER_HOST or the default socket). Making a client does no I/O; the API
// version is negotiated on its first request.
func dockerDialer(host string) func() (engine, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	if addr := cmp.Or(host, os.Getenv("DOCKER_HOST")); strings.HasPrefix(addr, "ssh://") {
		// Through ssh, as the docker CLI does: the host name only fills the
		// HTTP requests; every connection is `ssh host docker system dial-stdio`.
		args, err := sshArgs(addr)
		if err != nil {
			return func() (engine, error) { return nil, err }
		}
		opts = []client.Opt{client.WithHost("http://docker.invalid"), client.WithDialContext(sshDial(args)),
			client.WithAPIVersionNegotiation()}
	}
	return func() (engine, error) {
		cli, err := client.NewClientWithOpts(opts...)
		if err != nil {
			return nil, err
		}
		// The client would treat any other scheme as a TCP host name.
		u, err := client.ParseHostURL(cli.DaemonHost())
		if err == nil && !slices.Contains([]string{"unix", "tcp", "http", "https", "npipe"}, u.Scheme) {
			err = fmt.Errorf("%s:// addresses are not supported", u.Scheme)
		}
		if err != nil {
			_ = cli.Close()
			return nil, err
		}
		return cli, nil
	}
}

// ServerVersion asks the engine at host for its versions, reaching it as
// NewSource does (ssh:// included; "" for DOCKER_HOST or the default
// socket), so a check of the engine tests the app's own path to it.
func ServerVersion(ctx context.Context, host string) (types.Version, error) {
	cli, err := dockerDialer(host)()
	if err != nil {
		return types.Version{}, err
	}
	defer func() { _ = cli.Close() }()
	return cli.ServerVersion(ctx)
}
