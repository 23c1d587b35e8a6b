package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

func TestDescribe(t *testing.T) {
	const sock = "unix:///var/run/docker.sock"
	// What the client returns for a socket the user may not open: a
	// wrapped *url.Error around EACCES (as root it cannot be provoked).
	denied := fmt.Errorf("permission denied while trying to connect to the Docker daemon socket at %s: %w", sock,
		&url.Error{Op: "Get", URL: "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/containers/json",
			Err: &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}})
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"permission", denied, "permission denied on unix:///var/run/docker.sock: add your user to the docker group"},
		{"timeout", fmt.Errorf("list: %w", context.DeadlineExceeded), "Docker at unix:///var/run/docker.sock did not answer in time: it may be overloaded or hung"},
		{"closed", errClosed, "container monitoring has stopped (the source was closed)"},
		{"other", errors.New("Error response from daemon: boom"), "Docker at unix:///var/run/docker.sock failed: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(tt.err, sock); got != tt.want {
				t.Fatalf("describe = %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestDescribeAction(t *testing.T) {
	tests := []struct {
		name string
		a    model.ContainerAction
		err  error
		want string
	}{
		{"gone", model.StartContainer, fmt.Errorf("Error response from daemon: No such container: web: %w", cerrdefs.ErrNotFound),
			"cannot start container web: it no longer exists"},
		{"conflict", model.PauseContainer, fmt.Errorf("Error response from daemon: Container 3f2a is not running: %w", cerrdefs.ErrConflict),
			"cannot pause container web: Container 3f2a is not running: conflict"},
		{"engine gone", model.StopContainer, context.DeadlineExceeded,
			"Docker at tcp://127.0.0.1:2375 did not answer in time: it may be overloaded or hung"},
		{"other", model.RemoveContainer, errors.New("Error response from daemon: driver failed"),
			"could not remove container web: driver failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeAction(tt.a, "web", tt.err, "tcp://127.0.0.1:2375"); got != tt.want {
				t.Fatalf("describeAction = %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestEngineString(t *testing.T) {
	tests := []struct {
		v    types.Version
		want string
	}{
		{types.Version{Version: "20.10.24+dfsg1", APIVersion: "1.41",
			Components: []types.ComponentVersion{{Name: "Engine", Version: "20.10.24+dfsg1"}}}, "Docker 20.10.24+dfsg1 (API 1.41)"},
		{types.Version{Version: "4.3.1", APIVersion: "1.41",
			Components: []types.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}}, "Podman 4.3.1 (API 1.41)"},
		{types.Version{Version: "28.2.2"}, "Docker 28.2.2"},
		{types.Version{}, "Docker (unknown version)"},
	}
	for _, tt := range tests {
		if got := EngineName(tt.v); got != tt.want {
			t.Errorf("EngineName(%+v) = %q; want %q", tt.v, got, tt.want)
		}
	}
}
