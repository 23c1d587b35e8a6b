package doctor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const checkProc = "host figures (/proc)"

// procFile is one /proc file the Host view reads, and what it feeds.
type procFile struct {
	name  string
	feeds string
	// summary checks the content and describes it; "" with an error means
	// the file is readable but says nothing useful.
	summary func(data []byte) (string, error)
}

// procFiles lists them in the order the detail names them.
func procFiles() []procFile {
	return []procFile{
		{"stat", "CPU usage", summarizeStat},
		{"meminfo", "memory and swap", summarizeMeminfo},
		{"loadavg", "load average", summarizeLoadavg},
		{"diskstats", "disk I/O", summarizeDiskstats},
		{"net/dev", "network I/O", summarizeNetDev},
	}
}

// errEmpty marks a readable file with nothing in it: a container without
// disks or interfaces, not a broken host.
var errEmpty = errors.New("lists no")

// procFigures reads every /proc file the Host view uses.
func (c *checker) procFigures(context.Context) Result {
	var found, broken, empty []string
	status := StatusOK
	fix := ""
	for _, f := range procFiles() {
		path := filepath.Join(c.procDir, f.name)
		data, err := os.ReadFile(path)
		if err == nil {
			var s string
			s, err = f.summary(data)
			if err == nil {
				found = append(found, s)
				continue
			}
		}
		if errors.Is(err, errEmpty) {
			empty = append(empty, fmt.Sprintf("%s %s: no %s figures", path, err, f.feeds))
			continue
		}
		broken = append(broken, fmt.Sprintf("%s: %s: no %s figures", path, shortErr(err), f.feeds))
	}
	var detail []string
	if len(broken) > 0 {
		status = StatusFailed
		detail = append(detail, "cannot read "+strings.Join(broken, "; "))
		fix = "mount procfs (`sudo mount -t proc proc /proc`), or run Horcrux outside the container or sandbox that hides it"
	}
	if len(empty) > 0 {
		if status == StatusOK {
			status = StatusWarning
			fix = "nothing to do inside a container or VM without them; run Horcrux on the host to see those figures"
		}
		detail = append(detail, strings.Join(empty, "; "))
	}
	if len(found) > 0 {
		detail = append(detail, "readable: "+strings.Join(found, ", "))
	}
	return Result{Check: checkProc, Status: status, Detail: strings.Join(detail, "; "), Fix: fix}
}

// shortErr drops the path that os errors repeat.
func shortErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func summarizeStat(data []byte) (string, error) {
	cpus, total := 0, false
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] == "cpu" {
			total = true
		} else {
			cpus++
		}
	}
	if !total {
		return "", errors.New(`has no "cpu" line`)
	}
	return plural(cpus, "CPU"), nil
}

func summarizeMeminfo(data []byte) (string, error) {
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kib, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				break
			}
			return fmt.Sprintf("%.1f GiB memory", float64(kib)/(1<<20)), nil
		}
	}
	return "", errors.New("has no MemTotal line")
}

func summarizeLoadavg(data []byte) (string, error) {
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "", errors.New("has fewer than 3 figures")
	}
	if _, err := strconv.ParseFloat(f[0], 64); err != nil {
		return "", fmt.Errorf("does not start with a number (%q)", f[0])
	}
	return "load " + f[0], nil
}

func summarizeDiskstats(data []byte) (string, error) {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if len(strings.Fields(sc.Text())) >= 14 {
			n++
		}
	}
	if n == 0 {
		return "", fmt.Errorf("%w block devices", errEmpty)
	}
	return plural(n, "block device"), nil
}

func summarizeNetDev(data []byte) (string, error) {
	n := 0
	for line := range strings.Lines(string(data)) {
		// Two header lines, then "  name: rx... tx..." per interface.
		name, rest, ok := strings.Cut(line, ":")
		if ok && !strings.Contains(name, "|") && len(strings.Fields(rest)) >= 16 {
			n++
		}
	}
	if n == 0 {
		return "", fmt.Errorf("%w network interfaces", errEmpty)
	}
	return plural(n, "network interface"), nil
}

// plural counts things in words: "1 CPU", "2 CPUs".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
