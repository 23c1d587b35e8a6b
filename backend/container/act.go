package container

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
)

// Act applies an action to the container with this ID (or name). Stop and
// Restart give the container its own stop timeout (10 s by default) before
// killing it; Remove is forced. Errors are in words fit for the UI.
func (s *Source) Act(ctx context.Context, id string, a Action) error {
	ctx, cancel := s.bind(ctx)
	defer cancel()
	cli, err := s.client()
	if err != nil {
		return &wordsError{describe(err, s.host), err}
	}
	switch a {
	case Start:
		err = cli.ContainerStart(ctx, id, container.StartOptions{})
	case Stop:
		err = cli.ContainerStop(ctx, id, container.StopOptions{})
	case Restart:
		err = cli.ContainerRestart(ctx, id, container.StopOptions{})
	case Pause:
		err = cli.ContainerPause(ctx, id)
	case Unpause:
		err = cli.ContainerUnpause(ctx, id)
	case Remove:
		err = cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
	default:
		return fmt.Errorf("unknown container action %v", a)
	}
	if err != nil {
		s.lost(cli, err)
		return &wordsError{describeAction(a, s.label(id), err, cli.DaemonHost()), err}
	}
	return nil
}
