package model

import "time"

// SnapshotKind is how a VM snapshot is taken.
type SnapshotKind string

// The kinds of snapshot Horcrux offers.
const (
	// SnapshotInternal is stored inside the qcow2 disks; of a running VM it
	// holds the memory too, so a revert resumes where it was.
	SnapshotInternal SnapshotKind = "internal"
	// SnapshotDiskOnly freezes the disks and writes to new overlay files
	// next to them (external); no memory.
	SnapshotDiskOnly SnapshotKind = "disk-only"
)

// String gives the kind in words for buttons and messages.
func (k SnapshotKind) String() string {
	switch k {
	case SnapshotInternal:
		return "snapshot (disks and memory of a running VM)"
	case SnapshotDiskOnly:
		return "disk-only snapshot"
	}
	return "unknown snapshot kind"
}

// VMSnapshot is one libvirt snapshot of a domain, as a tree lists it.
type VMSnapshot struct {
	Name        string    `json:"name"`
	Parent      string    `json:"parent"` // "" for a root
	Depth       int       `json:"depth"`  // 0 for a root; children follow their parent
	Time        time.Time `json:"time"`   // when it was taken
	Description string    `json:"description"`
	State       VMState   `json:"state"`    // the domain's state when taken
	Current     bool      `json:"current"`  // the one the domain last reverted to or took
	Memory      bool      `json:"memory"`   // holds the memory: reverting resumes the guest
	External    bool      `json:"external"` // disks in overlay files (disk-only)
}

// RevertLoses says what reverting to s throws away, for the confirmation.
func (s VMSnapshot) RevertLoses(now VMState) string {
	lost := "every change to the disks since " + s.Time.Format(time.DateTime) + " is lost"
	if now.Active() {
		lost += ", and the running guest's current memory (unsaved work, open sessions)"
	}
	switch {
	case s.Memory:
		return lost + "; the VM resumes as it was then (" + string(s.State) + ")"
	case now.Active():
		return lost + "; the VM is stopped, since the snapshot holds no memory"
	}
	return lost
}

// SnapshotCheck says whether a kind of snapshot can be taken of a domain
// now, before the user clicks: Problems make libvirt refuse it, Warnings
// do not stop it but limit what can be done with it later.
type SnapshotCheck struct {
	Kind     SnapshotKind `json:"kind"`
	Problems []string     `json:"problems"`
	Warnings []string     `json:"warnings"`
}

// OK reports whether the snapshot can be taken.
func (c SnapshotCheck) OK() bool { return len(c.Problems) == 0 }
