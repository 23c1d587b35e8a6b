// Package container lists the containers of a Docker (or Podman) engine with
// their live resource figures, starts, stops and removes them, and opens
// interactive shells in them (Shell).
//
// Stats come from one streaming stats request per running container, as
// `docker stats` does: dockerd answers every stats call on its 1 s collector
// tick, so asking for each container in turn would take a second per
// container. Poll only lists and merges the latest figures of the streams.
package container

// Config says which engine to watch.
type Config struct {
	// Host is the engine address: unix:///path or tcp://host:port. Empty
	// means DOCKER_HOST (with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), else the
	// default socket unix:///var/run/docker.sock.
	Host string
}
