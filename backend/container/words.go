package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/client"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// errClosed is what a closed Source reports.
var errClosed = errors.New("source closed")

// wordsError carries a message for people and the error behind it, so
// callers can still test it with errors.Is.
type wordsError struct {
	words string
	err   error
}

func (e *wordsError) Error() string { return e.words }
func (e *wordsError) Unwrap() error { return e.err }

// describe says in words why the engine at addr could not be used, and what
// to do about it.
func describe(err error, addr string) string {
	switch {
	case errors.Is(err, errClosed):
		return "container monitoring has stopped (the source was closed)"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("Docker at %s did not answer in time: it may be overloaded or hung", addr)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("the request to Docker at %s was cancelled", addr)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("permission denied on %s: add your user to the docker group", addr)
	case client.IsErrConnectionFailed(err):
		// The client hides the cause; its words for refused or missing
		// sockets and timeouts end in this question.
		if strings.Contains(err.Error(), "Is the docker daemon running") {
			return fmt.Sprintf("Docker is not running at %s: start the Docker service, or set DOCKER_HOST to where it runs", addr)
		}
		return fmt.Sprintf("cannot connect to Docker at %s: %s", addr, daemonWords(err))
	}
	return fmt.Sprintf("Docker at %s failed: %s", addr, daemonWords(err))
}

// describeHost says why no client could be made for host.
func describeHost(host string, err error) string {
	return fmt.Sprintf("cannot use Docker host %q: %s; use unix:///path/to/docker.sock or tcp://host:port", host, err)
}

// describeAction says why an action on a container failed.
func describeAction(a model.ContainerAction, name string, err error, addr string) string {
	switch {
	case cerrdefs.IsNotFound(err):
		return fmt.Sprintf("cannot %s container %s: it no longer exists", a, name)
	case cerrdefs.IsConflict(err), cerrdefs.IsInvalidArgument(err), cerrdefs.IsFailedPrecondition(err), cerrdefs.IsNotModified(err):
		return fmt.Sprintf("cannot %s container %s: %s", a, name, daemonWords(err))
	case isEngineTrouble(err):
		return describe(err, addr)
	}
	return fmt.Sprintf("could not %s container %s: %s", a, name, daemonWords(err))
}

// describeLogs says why a container's logs could not be read.
func describeLogs(name string, err error, addr string) string {
	switch {
	case cerrdefs.IsNotFound(err):
		return fmt.Sprintf("no logs for container %s: it no longer exists", name)
	case isEngineTrouble(err):
		return describe(err, addr)
	}
	return fmt.Sprintf("cannot read the logs of container %s: %s", name, daemonWords(err))
}

func isEngineTrouble(err error) bool {
	return client.IsErrConnectionFailed(err) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// daemonWords is the engine's own message without the client's prefix.
func daemonWords(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

// EngineName names an engine with its version and API version for people:
// "Docker 20.10.24 (API 1.41)", "Podman 4.3.1 (API 1.41)".
func EngineName(v types.Version) string {
	name, version := "Docker", v.Version
	for _, c := range v.Components {
		if strings.Contains(strings.ToLower(c.Name), "podman") {
			name, version = "Podman", c.Version
		}
	}
	if version == "" {
		version = "(unknown version)"
	}
	s := name + " " + version
	if v.APIVersion != "" {
		s += " (API " + v.APIVersion + ")"
	}
	return s
}
