package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/horcrux-desktop/horcrux/backend/model"
	"github.com/horcrux-desktop/horcrux/internal/plural"
)

// Episode key suffixes of VMs and containers.
const (
	suffixStopped    = "stopped"
	suffixExited     = "exited"
	suffixRestarting = "restarting"
)

func itemKey(kind, id, suffix string) string { return kind + "/" + id + "/" + suffix }

func hasKind(key, kind, suffix string) bool {
	return strings.HasPrefix(key, kind+"/") && strings.HasSuffix(key, "/"+suffix)
}

// vmTrack is what the engine remembers of a VM between snapshots.
type vmTrack struct {
	name  string
	state model.VMState
}

// vmUp reports whether a VM in state s has a live guest that could stop.
func vmUp(s model.VMState) bool {
	switch s {
	case model.VMRunning, model.VMBlocked, model.VMPaused, model.VMShutdown, model.VMPMSuspended:
		return true
	}
	return false
}

func vmWords(s model.VMState) string {
	switch s {
	case model.VMShutoff:
		return "shut off"
	case model.VMPMSuspended:
		return "suspended"
	case model.VMShutdown:
		return "shutting down"
	}
	return string(s)
}

// vms follows the VM list. Only a list libvirt has just given counts: an
// unavailable or out-of-date section says nothing about the VMs, so a
// libvirt outage cannot make them all look stopped.
func (o *observation) vms(sec *model.VMSection) {
	if !sec.IsUp() {
		return
	}
	seen := make(map[string]bool, len(sec.Items))
	for i := range sec.Items {
		m := &sec.Items[i]
		seen[m.UUID] = true
		o.guestFS(m)
		key := itemKey(KindVM, m.UUID, suffixStopped)
		prev, known := o.e.vms[m.UUID]
		if m.State == model.VMNoState {
			// libvirt does not know either: keep the last known state.
			prev.name = m.Name
			o.e.vms[m.UUID] = prev
			continue
		}
		o.e.vms[m.UUID] = vmTrack{name: m.Name, state: m.State}
		if vmUp(m.State) {
			o.resolve(key, "VM "+m.Name+" is up again", fmt.Sprintf("%s is %s.", m.Name, vmWords(m.State)))
			continue
		}
		if !known || !vmUp(prev.state) {
			continue // it was not up: nothing stopped
		}
		// Shut off or crashed after being up.
		if o.e.expected(KindVM, m.UUID, o.now) || !o.e.t.VMStopped {
			continue
		}
		title := "VM " + m.Name + " stopped"
		if m.State == model.VMCrashed {
			title = "VM " + m.Name + " crashed"
		}
		o.raise(Alert{
			Key:   key,
			Title: title,
			Body: fmt.Sprintf("%s was %s and is now %s; Horcrux did not ask it to stop.",
				m.Name, vmWords(prev.state), vmWords(m.State)),
			Since: o.now,
		})
	}
	for id, tr := range o.e.vms {
		if !seen[id] {
			delete(o.e.vms, id)
			o.resolve(itemKey(KindVM, id, suffixStopped), "VM "+tr.name+" is gone",
				tr.name+" is no longer in libvirt's list.")
			for _, key := range o.guestFSKeys(id) {
				o.resolve(key, "VM "+tr.name+" is gone", tr.name+" is no longer in libvirt's list.")
			}
		}
	}
}

// guestFSPrefix starts the key of a guest filesystem episode after the UUID.
const guestFSPrefix = "fs:"

func guestFSKey(uuid, mount string) string { return KindVM + "/" + uuid + "/" + guestFSPrefix + mount }

func isGuestFSKey(key string) bool {
	return strings.HasPrefix(key, KindVM+"/") && strings.Contains(key, "/"+guestFSPrefix)
}

// guestFSKeys lists the open filesystem episodes of one VM.
func (o *observation) guestFSKeys(uuid string) []string {
	var keys []string
	prefix := KindVM + "/" + uuid + "/" + guestFSPrefix
	for key := range o.e.active {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	return keys
}

// guestFS raises when a guest filesystem is fuller than GuestFSPercent and
// resolves once it is 5 % below, when it is unmounted, or when the VM stops.
// Facts the agent did not give change nothing: unknown is not a reason.
func (o *observation) guestFS(m *model.Machine) {
	limit := o.e.t.GuestFSPercent
	if !m.State.Active() {
		for _, key := range o.guestFSKeys(m.UUID) {
			o.resolve(key, "VM "+m.Name+" is "+vmWords(m.State), m.Name+" is "+vmWords(m.State)+"; its filesystems are not in use.")
		}
		return
	}
	g := m.Guest
	if limit <= 0 || g == nil || g.AgentWhy != "" {
		return
	}
	mounted := make(map[string]bool, len(g.FileSystems))
	for _, fs := range g.FileSystems {
		mounted[fs.Mount] = true
		key := guestFSKey(m.UUID, fs.Mount)
		used := fs.UsedPercent()
		words := fmt.Sprintf("%s on %s is %.0f %% full (%s of %s used)", fs.Mount, m.Name, used, bytesWords(fs.UsedBytes), bytesWords(fs.TotalBytes))
		switch {
		case o.isOpen(key) && used < limit*clearFraction:
			o.resolve(key, "Guest filesystem "+fs.Mount+" on "+m.Name+" has room again", words+".")
		case used > limit:
			o.raise(Alert{
				Key:   key,
				Title: "Guest filesystem " + fs.Mount + " on " + m.Name + " is almost full",
				Body:  fmt.Sprintf("%s, above the %.0f %% set in Settings.", words, limit),
				Since: o.now,
			})
		}
	}
	for _, key := range o.guestFSKeys(m.UUID) {
		if mount := key[strings.Index(key, "/"+guestFSPrefix)+len("/"+guestFSPrefix):]; !mounted[mount] {
			o.resolve(key, "Guest filesystem "+mount+" on "+m.Name+" is no longer mounted", m.Name+"'s guest agent no longer lists "+mount+".")
		}
	}
}

// bytesWords prints a size in binary units, as df -h does.
func bytesWords(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

// ctTrack is what the engine remembers of a container between snapshots.
type ctTrack struct {
	name     string
	state    string
	restarts int
	rises    []time.Time // one per restart seen, newest last, within the window
}

// ctUp reports whether a container in state s has a process that could
// exit.
func ctUp(s string) bool { return s == "running" || s == "paused" || s == "restarting" }

// containers follows the container list, only while the engine answers.
func (o *observation) containers(sec *model.ContainerSection) {
	if !sec.IsUp() {
		return
	}
	seen := make(map[string]bool, len(sec.Items))
	for i := range sec.Items {
		c := &sec.Items[i]
		seen[c.ID] = true
		tr, known := o.e.cts[c.ID]
		if !known {
			// The first sight is the baseline: no state change, no
			// restart count to compare with.
			o.e.cts[c.ID] = &ctTrack{name: c.Name, state: c.State, restarts: c.RestartCount}
			continue
		}
		o.containerExit(c, tr)
		o.containerRestarts(c, tr)
		tr.name, tr.state, tr.restarts = c.Name, c.State, c.RestartCount
	}
	for id, tr := range o.e.cts {
		if !seen[id] {
			delete(o.e.cts, id)
			gone := tr.name + " is no longer in the engine's list."
			o.resolve(itemKey(KindContainer, id, suffixExited), "Container "+tr.name+" is gone", gone)
			o.resolve(itemKey(KindContainer, id, suffixRestarting), "Container "+tr.name+" is gone", gone)
		}
	}
}

// containerExit raises when a container that was up has exited with a
// non-zero code, and resolves when it runs again.
func (o *observation) containerExit(c *model.Container, tr *ctTrack) {
	key := itemKey(KindContainer, c.ID, suffixExited)
	if c.State == "running" {
		o.resolve(key, "Container "+c.Name+" is running again", c.Name+" is running.")
		return
	}
	if (c.State != "exited" && c.State != "dead") || !ctUp(tr.state) {
		return
	}
	// An exit Horcrux asked for uses the expectation up whatever its code.
	if o.e.expected(KindContainer, c.ID, o.now) || c.ExitCode == 0 || !o.e.t.ContainerExit {
		return
	}
	o.raise(Alert{
		Key:   key,
		Title: fmt.Sprintf("Container %s exited with code %d", c.Name, c.ExitCode),
		Body:  fmt.Sprintf("%s was %s and exited with code %d%s.", c.Name, tr.state, c.ExitCode, exitWords(c.ExitCode)),
		Since: o.now,
	})
}

// containerRestarts raises when the restart count rose by at least
// ContainerRestarts within RestartWindow, and resolves after a whole window
// without a restart.
func (o *observation) containerRestarts(c *model.Container, tr *ctTrack) {
	t := &o.e.t
	switch rise := c.RestartCount - tr.restarts; {
	case rise > 0:
		for range min(rise, maxRises) {
			tr.rises = append(tr.rises, o.now)
		}
		if n := len(tr.rises); n > maxRises {
			tr.rises = append(tr.rises[:0], tr.rises[n-maxRises:]...)
		}
	case rise < 0:
		// The engine resets the count when the container is started by
		// hand: start counting afresh.
		tr.rises = tr.rises[:0]
	}
	cut := 0
	for cut < len(tr.rises) && o.now.Sub(tr.rises[cut]) > t.RestartWindow {
		cut++
	}
	tr.rises = tr.rises[cut:]

	key := itemKey(KindContainer, c.ID, suffixRestarting)
	if o.isOpen(key) {
		if len(tr.rises) == 0 {
			o.resolve(key, "Container "+c.Name+" stopped restarting",
				fmt.Sprintf("%s has not restarted for %s.", c.Name, span(t.RestartWindow)))
		}
		return
	}
	if n := t.ContainerRestarts; n > 0 && len(tr.rises) >= n {
		o.raise(Alert{
			Key:   key,
			Title: "Container " + c.Name + " keeps restarting",
			Body: fmt.Sprintf("%s restarted %s in %s (restart count %d, state %s).",
				c.Name, plural.Count(len(tr.rises), "time"), span(t.RestartWindow), c.RestartCount, c.State),
			Since: tr.rises[len(tr.rises)-n],
		})
	}
}

// exitWords explains an exit code that says a signal ended the process.
func exitWords(code int) string {
	if code <= 128 || code > 128+64 {
		return ""
	}
	switch sig := code - 128; sig {
	case 9:
		return " (killed: out of memory, or it did not stop in time)"
	case 15:
		return " (terminated by SIGTERM)"
	case 6:
		return " (aborted)"
	case 11:
		return " (segmentation fault)"
	default:
		return fmt.Sprintf(" (ended by signal %d)", sig)
	}
}
