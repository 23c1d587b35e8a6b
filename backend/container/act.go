package container

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Act applies an action to the container with this ID (or name). Stop and
// Restart give the container its own stop timeout (10 s by default) before
// killing it; Remove is forced. Errors are in words fit for the UI.
func (s *Source) Act(ctx context.Context, id string, a model.ContainerAction) error {
	ctx, cancel := s.bind(ctx)
	defer cancel()
	cli, err := s.client()
	if err != nil {
		return &wordsError{describe(err, s.host), err}
	}
	switch a {
	case model.StartContainer:
		err = cli.ContainerStart(ctx, id, container.StartOptions{})
	case model.StopContainer:
		err = cli.ContainerStop(ctx, id, container.StopOptions{})
	case model.RestartContainer:
		err = cli.ContainerRestart(ctx, id, container.StopOptions{})
	case model.PauseContainer:
		err = cli.ContainerPause(ctx, id)
	case model.UnpauseContainer:
		err = cli.ContainerUnpause(ctx, id)
	case model.RemoveContainer:
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
