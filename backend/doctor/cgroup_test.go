package doctor

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// mountinfoCgroups works the layout out another way, from
// /proc/self/mountinfo: fields 5 (mount point) and, after " - ", the type.
func mountinfoCgroups(t *testing.T) cgroupLayout {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip("no /proc/self/mountinfo:", err)
	}
	defer f.Close()
	var l cgroupLayout
	rootV2, unified := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, typ := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(typ) < 1 {
			continue
		}
		mnt := fields[4]
		switch {
		case mnt == "/sys/fs/cgroup" && typ[0] == "cgroup2":
			rootV2 = true
		case mnt == "/sys/fs/cgroup/unified" && typ[0] == "cgroup2":
			unified = true
		case strings.HasPrefix(mnt, "/sys/fs/cgroup/") && typ[0] == "cgroup":
			l.controllers = append(l.controllers, strings.TrimPrefix(mnt, "/sys/fs/cgroup/"))
		}
	}
	slices.Sort(l.controllers)
	switch {
	case rootV2:
		l.version, l.controllers = "v2", nil
	case unified:
		l.version = "hybrid"
	case len(l.controllers) > 0:
		l.version = "v1"
	}
	return l
}

func TestCgroupsMatchMountinfo(t *testing.T) {
	want := mountinfoCgroups(t)
	got := detectCgroups("/sys/fs/cgroup")
	if got.version != want.version || !slices.Equal(got.controllers, want.controllers) {
		t.Fatalf("detected %+v, mountinfo says %+v", got, want)
	}
	r := newChecker(Config{}).cgroups(context.Background())
	if want.version == "" {
		expect(t, r, StatusWarning, []string{"no cgroup filesystem"}, []string{"mount"})
		return
	}
	words := map[string]string{"v2": "cgroup v2", "hybrid": "hybrid", "v1": "cgroup v1:"}[want.version]
	expect(t, r, StatusOK, []string{words}, nil)
	t.Log(r.Detail)
}

func TestCgroupsNone(t *testing.T) {
	c := newChecker(Config{})
	c.cgroupDir = t.TempDir() // a plain directory: no cgroup filesystem in it
	expect(t, c.cgroups(context.Background()), StatusWarning, []string{"no cgroup filesystem at " + c.cgroupDir}, []string{"mount -t cgroup2"})
}
