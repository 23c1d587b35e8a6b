package vm

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/PID/stat times: fixed at 100 by the Linux ABI
// whatever the kernel's internal tick.
const userHZ = 100

// qemuPidDir is where a local QEMU driver writes NAME.pid for each running
// domain, or "" when the URI is not a local qemu one (remote hosts and other
// drivers have no honest uptime here).
func qemuPidDir(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host != "" || (u.Scheme != "qemu" && u.Scheme != "qemu+unix") {
		return ""
	}
	switch u.Path {
	case "/system":
		return "/run/libvirt/qemu"
	case "/session":
		if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
			return filepath.Join(rt, "libvirt", "qemu", "run")
		}
	}
	return ""
}

// qemuStarted tells when the QEMU process of domain name started, from its
// pid file and the kernel's record of the process.
func qemuStarted(procDir, pidDir, name string, now time.Time) (time.Time, error) {
	raw, err := os.ReadFile(filepath.Join(pidDir, name+".pid"))
	if err != nil {
		return time.Time{}, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return time.Time{}, errors.New("bad pid file")
	}
	stat, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return time.Time{}, err
	}
	comm, ticks, err := parseProcStat(string(stat))
	if err != nil {
		return time.Time{}, err
	}
	// A stale pid file can name an unrelated process; only trust QEMU.
	if !strings.HasPrefix(comm, "qemu") && comm != "kvm" {
		return time.Time{}, errors.New("pid file names " + comm + ", not qemu")
	}
	up, err := os.ReadFile(filepath.Join(procDir, "uptime"))
	if err != nil {
		return time.Time{}, err
	}
	f := strings.Fields(string(up))
	if len(f) == 0 {
		return time.Time{}, errors.New("empty uptime")
	}
	sinceBoot, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return time.Time{}, err
	}
	age := sinceBoot - float64(ticks)/userHZ
	if age < 0 {
		age = 0
	}
	return now.Add(-time.Duration(age * float64(time.Second))), nil
}

// parseProcStat returns the command name and start time (in userHZ ticks
// since boot) from the text of /proc/PID/stat.
func parseProcStat(s string) (comm string, startTicks uint64, err error) {
	// comm is in parentheses and may itself hold spaces and parentheses.
	open := strings.IndexByte(s, '(')
	end := strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, errors.New("malformed stat")
	}
	comm = s[open+1 : end]
	rest := strings.Fields(s[end+1:])
	// rest[0] is field 3 (state); starttime is field 22.
	const startField = 22 - 3
	if len(rest) <= startField {
		return "", 0, errors.New("short stat")
	}
	startTicks, err = strconv.ParseUint(rest[startField], 10, 64)
	if err != nil {
		return "", 0, errors.New("bad starttime")
	}
	return comm, startTicks, nil
}
