package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Thresholds say what raises an alert. The zero value of a number turns its
// check off.
type Thresholds struct {
	CPUPercent   float64       // host CPU % above which to alert; 0 = off
	MemPercent   float64       // host memory used % (used/total*100); 0 = off
	Load1PerCore float64       // load1 / number of cores; 0 = off
	For          time.Duration // how long a host figure must stay above before it alerts, to ignore spikes; 0 = at once

	VMStopped         bool          // a VM that was running becomes shutoff/crashed without Horcrux having asked
	GuestFSPercent    float64       // a guest filesystem (from its agent) used above this %; 0 = off
	ContainerExit     bool          // a container that was running exits with a non-zero code
	ContainerRestarts int           // restart count rising by at least this within RestartWindow; 0 = off
	RestartWindow     time.Duration // default 10 min when zero
}

// Defaults used by DefaultThresholds and for fields missing from stored
// settings.
const (
	DefaultFor           = 30 * time.Second
	DefaultRestartWindow = 10 * time.Minute
)

// DefaultThresholds are the settings before the user changes any.
func DefaultThresholds() Thresholds {
	return Thresholds{
		CPUPercent:        90,
		MemPercent:        90,
		Load1PerCore:      2,
		For:               DefaultFor,
		VMStopped:         true,
		GuestFSPercent:    90,
		ContainerExit:     true,
		ContainerRestarts: 3,
		RestartWindow:     DefaultRestartWindow,
	}
}

// Validate says, in words for the Settings dialog, what is out of range.
func (t Thresholds) Validate() error {
	var errs []error
	percent := func(name string, v float64) {
		if math.IsNaN(v) || v < 0 || v > 100 {
			errs = append(errs, fmt.Errorf("%s must be between 0 (off) and 100, not %v", name, v))
		}
	}
	percent("host CPU %", t.CPUPercent)
	percent("host memory %", t.MemPercent)
	percent("guest filesystem %", t.GuestFSPercent)
	if math.IsNaN(t.Load1PerCore) || math.IsInf(t.Load1PerCore, 0) || t.Load1PerCore < 0 {
		errs = append(errs, fmt.Errorf("load per core must be 0 (off) or more, not %v", t.Load1PerCore))
	}
	if t.For < 0 {
		errs = append(errs, fmt.Errorf("the time a host figure must stay high cannot be negative (%s)", t.For))
	}
	if t.ContainerRestarts < 0 {
		errs = append(errs, fmt.Errorf("container restarts must be 0 (off) or more, not %d", t.ContainerRestarts))
	}
	if t.RestartWindow < 0 {
		errs = append(errs, fmt.Errorf("the restart window cannot be negative (%s)", t.RestartWindow))
	}
	return errors.Join(errs...)
}

// withDefaults fills what an engine needs that the user may leave empty.
func (t Thresholds) withDefaults() Thresholds {
	if t.RestartWindow <= 0 {
		t.RestartWindow = DefaultRestartWindow
	}
	t.For = max(t.For, 0)
	return t
}

// wireThresholds is the stored shape: plain numbers, durations in seconds,
// so the preference stays readable and stable.
type wireThresholds struct {
	CPUPercent           float64 `json:"cpu_percent"`
	MemPercent           float64 `json:"mem_percent"`
	Load1PerCore         float64 `json:"load1_per_core"`
	ForSeconds           float64 `json:"for_seconds"`
	VMStopped            bool    `json:"vm_stopped"`
	GuestFSPercent       float64 `json:"guest_fs_percent"`
	ContainerExit        bool    `json:"container_exit"`
	ContainerRestarts    int     `json:"container_restarts"`
	RestartWindowSeconds float64 `json:"restart_window_seconds"`
}

// Encode gives t as JSON for the preferences store.
func (t Thresholds) Encode() string {
	b, err := json.Marshal(wireThresholds{
		CPUPercent:           t.CPUPercent,
		MemPercent:           t.MemPercent,
		Load1PerCore:         t.Load1PerCore,
		ForSeconds:           t.For.Seconds(),
		VMStopped:            t.VMStopped,
		GuestFSPercent:       t.GuestFSPercent,
		ContainerExit:        t.ContainerExit,
		ContainerRestarts:    t.ContainerRestarts,
		RestartWindowSeconds: t.RestartWindow.Seconds(),
	})
	if err != nil {
		// Only NaN or an infinity gets here; Validate refuses both.
		return ""
	}
	return string(b)
}

// DecodeThresholds reads what Encode wrote. Fields it lacks (settings saved
// by an older version) take their defaults, and "" gives the defaults. On
// error it returns the defaults too, so the caller can go on with them.
func DecodeThresholds(s string) (Thresholds, error) {
	def := DefaultThresholds()
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	w := wireThresholds{
		CPUPercent:           def.CPUPercent,
		MemPercent:           def.MemPercent,
		Load1PerCore:         def.Load1PerCore,
		ForSeconds:           def.For.Seconds(),
		VMStopped:            def.VMStopped,
		GuestFSPercent:       def.GuestFSPercent,
		ContainerExit:        def.ContainerExit,
		ContainerRestarts:    def.ContainerRestarts,
		RestartWindowSeconds: def.RestartWindow.Seconds(),
	}
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return def, fmt.Errorf("alert settings are unreadable (%w); using the defaults", err)
	}
	// Bound the seconds before converting: a huge number would overflow
	// time.Duration into a negative one.
	const maxSeconds = 366 * 24 * 3600
	if w.ForSeconds > maxSeconds || w.RestartWindowSeconds > maxSeconds {
		return def, errors.New("alert settings hold a period longer than a year; using the defaults")
	}
	t := Thresholds{
		CPUPercent:        w.CPUPercent,
		MemPercent:        w.MemPercent,
		Load1PerCore:      w.Load1PerCore,
		For:               seconds(w.ForSeconds),
		VMStopped:         w.VMStopped,
		GuestFSPercent:    w.GuestFSPercent,
		ContainerExit:     w.ContainerExit,
		ContainerRestarts: w.ContainerRestarts,
		RestartWindow:     seconds(w.RestartWindowSeconds),
	}
	if err := t.Validate(); err != nil {
		return def, fmt.Errorf("alert settings are out of range (%w); using the defaults", err)
	}
	return t, nil
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
