package doctor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

const checkCgroup = "cgroups"

// cgroupLayout is how the cgroup filesystems are mounted.
type cgroupLayout struct {
	version     string   // "v2", "hybrid", "v1" or "" when none is mounted
	controllers []string // v1 hierarchies mounted under the root, sorted
}

// detectCgroups looks at the filesystem types under dir (/sys/fs/cgroup):
// cgroup2 there is v2; a tmpfs of v1 hierarchies is v1, or hybrid when
// cgroup2 is also mounted at dir/unified (systemd's layout).
func detectCgroups(dir string) cgroupLayout {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return cgroupLayout{}
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return cgroupLayout{version: "v2"}
	}
	var l cgroupLayout
	unified := false
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		// Symlinks like cpu -> cpu,cpuacct would count a hierarchy twice.
		if !e.IsDir() {
			continue
		}
		var sub unix.Statfs_t
		if unix.Statfs(filepath.Join(dir, e.Name()), &sub) != nil {
			continue
		}
		switch sub.Type {
		case unix.CGROUP_SUPER_MAGIC:
			l.controllers = append(l.controllers, e.Name())
		case unix.CGROUP2_SUPER_MAGIC:
			unified = unified || e.Name() == "unified"
		}
	}
	slices.Sort(l.controllers)
	switch {
	case unified:
		l.version = "hybrid"
	case len(l.controllers) > 0:
		l.version = "v1"
	}
	return l
}

// cgroups says which cgroup version containers are accounted with.
func (c *checker) cgroups(context.Context) Result {
	l := detectCgroups(c.cgroupDir)
	r := Result{Check: checkCgroup, Status: StatusOK}
	switch l.version {
	case "v2":
		r.Detail = "cgroup v2 (unified) at " + c.cgroupDir
	case "hybrid":
		r.Detail = "cgroup v1 and v2 hybrid: v1 hierarchies (" + strings.Join(l.controllers, ", ") +
			") account containers, v2 is at " + filepath.Join(c.cgroupDir, "unified")
	case "v1":
		r.Detail = "cgroup v1: hierarchies " + strings.Join(l.controllers, ", ") + " at " + c.cgroupDir
	default:
		r.Status = StatusWarning
		r.Detail = "no cgroup filesystem at " + c.cgroupDir + ": container engines cannot account containers, so their figures may be missing"
		r.Fix = "mount cgroup v2: `sudo mount -t cgroup2 none " + c.cgroupDir + "`, or run Horcrux on a host with systemd"
	}
	return r
}
