package vm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// Versions as libvirt numbers them: major*1e6 + minor*1e3 + micro.
const (
	// libvirt reverts to and deletes external snapshots from 9.9 on.
	externalRevertVersion = 9_009_000
	// External snapshots of running QEMU guests arrived in 1.0.0.
	externalLiveVersion = 1_000_000
	// A snapshot of a big guest's memory can take minutes.
	defaultSnapshotTimeout = 10 * time.Minute
)

// SnapshotError is a failed snapshot operation in words, wrapping libvirt's error.
type SnapshotError struct {
	Words string
	Err   error
}

// Error returns the words for the user.
func (e *SnapshotError) Error() string { return e.Words }

// Unwrap gives the libvirt error underneath, if any.
func (e *SnapshotError) Unwrap() error { return e.Err }

func snapErr(what, name string, err error) error {
	var se *SnapshotError
	if errors.As(err, &se) {
		return err
	}
	if Classify(err) == ProblemNotInstalled {
		return &SnapshotError{Words: "cannot " + what + " of " + name + ": " + notInstalled, Err: err}
	}
	return &SnapshotError{Words: "cannot " + what + " of " + name + ": " + Message(err), Err: err}
}

// snapshotEnv is what a pre-check needs besides the domain XML.
type snapshotEnv struct {
	running    bool
	driver     string // conn.GetType: "QEMU", "Test", ...
	libVersion uint32
}

// versionWords prints a libvirt version number as 9.0.0.
func versionWords(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1_000_000, v/1000%1000, v%1000)
}

// checkSnapshots says, for each kind, what would make libvirt refuse a
// snapshot of the domain described by doc (its live XML when running).
func checkSnapshots(doc string, env snapshotEnv) ([]model.SnapshotCheck, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse domain XML: %w", err)
	}
	internal := model.SnapshotCheck{Kind: model.SnapshotInternal}
	external := model.SnapshotCheck{Kind: model.SnapshotDiskOnly}
	qemu := strings.EqualFold(env.driver, "QEMU")
	disks := 0
	if d.Devices != nil {
		for _, dk := range d.Devices.Disks {
			if dk.Device == "cdrom" || dk.Device == "floppy" || dk.ReadOnly != nil || dk.Snapshot == "no" || dk.Source == nil {
				continue // libvirt leaves these out of snapshots
			}
			disks++
			target := "a disk"
			if dk.Target != nil && dk.Target.Dev != "" {
				target = "disk " + dk.Target.Dev
			}
			if !qemu {
				continue
			}
			format := ""
			if dk.Driver != nil {
				format = dk.Driver.Type
			}
			where := diskWhere(dk.Source)
			switch {
			case dk.Source.Network != nil:
				internal.Problems = append(internal.Problems, target+" is a network disk ("+where+
					"): internal snapshots need a local qcow2 disk; take a disk-only snapshot, or use the storage's own snapshots")
				external.Problems = append(external.Problems, target+" is a network disk ("+where+
					"): libvirt cannot put an overlay file next to it")
			case format != "qcow2":
				if format == "" {
					format = "of unknown format"
				}
				internal.Problems = append(internal.Problems, target+" is "+format+" ("+where+
					"): internal snapshots need qcow2 disks; take a disk-only snapshot, or convert it with `qemu-img convert -O qcow2` while the VM is off")
			}
		}
	}
	if qemu && env.running && disks == 0 {
		internal.Problems = append(internal.Problems, "the VM has no writable disk, and a running VM's snapshot is stored in a qcow2 disk; add one, or shut the VM down first")
	}
	if qemu && env.running && d.OS != nil && d.OS.Loader != nil && d.OS.Loader.Type == "pflash" {
		format, path := "raw", ""
		if d.OS.NVRam != nil {
			path = d.OS.NVRam.NVRam
			if d.OS.NVRam.Format != "" {
				format = d.OS.NVRam.Format
			}
		}
		if format != "qcow2" {
			where := ""
			if path != "" {
				where = " (" + path + ")"
			}
			internal.Problems = append(internal.Problems, "UEFI firmware with "+format+" NVRAM"+where+
				": libvirt refuses internal snapshots of a running UEFI VM; shut it down first, or take a disk-only snapshot")
		}
	}
	switch {
	case strings.EqualFold(env.driver, "Test"):
		external.Problems = append(external.Problems, "libvirt's test driver takes no disk-only snapshots")
	case disks == 0:
		external.Problems = append(external.Problems, "the VM has no writable disk to snapshot")
	}
	if qemu && env.running && env.libVersion > 0 && env.libVersion < externalLiveVersion {
		external.Problems = append(external.Problems, "libvirt "+versionWords(env.libVersion)+
			" is too old for disk-only snapshots of a running VM (1.0.0 has them); shut the VM down first")
	}
	if qemu && env.libVersion > 0 && env.libVersion < externalRevertVersion {
		external.Warnings = append(external.Warnings, "libvirt "+versionWords(env.libVersion)+
			" cannot revert to or delete disk-only snapshots (9.9.0 can): undoing one means editing the disks by hand")
	}
	return []model.SnapshotCheck{internal, external}, nil
}

// diskWhere names where a disk's data is, for messages.
func diskWhere(s *libvirtxml.DomainDiskSource) string {
	switch {
	case s.File != nil:
		return s.File.File
	case s.Block != nil:
		return s.Block.Dev
	case s.Volume != nil:
		return s.Volume.Pool + "/" + s.Volume.Volume
	case s.Network != nil:
		return s.Network.Protocol + ":" + s.Network.Name
	}
	return "no source"
}

// parseSnapshotXML reads one snapshot's description.
func parseSnapshotXML(doc string) (model.VMSnapshot, error) {
	var x libvirtxml.DomainSnapshot
	if err := x.Unmarshal(doc); err != nil {
		return model.VMSnapshot{}, fmt.Errorf("parse snapshot XML: %w", err)
	}
	s := model.VMSnapshot{Name: x.Name, Description: x.Description, State: model.VMState(x.State)}
	if x.Parent != nil {
		s.Parent = x.Parent.Name
	}
	if sec, err := strconv.ParseInt(x.CreationTime, 10, 64); err == nil {
		s.Time = time.Unix(sec, 0).UTC()
	}
	if x.Memory != nil {
		s.Memory = x.Memory.Snapshot == "internal" || x.Memory.Snapshot == "external"
	} else {
		// Old libvirt leaves <memory> out: a running snapshot holds the memory.
		s.Memory = x.State == "running" || x.State == "paused"
	}
	if x.State == "disk-snapshot" {
		s.External, s.Memory = true, false
	}
	if x.Disks != nil {
		for _, dk := range x.Disks.Disks {
			if dk.Snapshot == "external" {
				s.External = true
			}
		}
	}
	return s, nil
}

// treeOrder puts each snapshot after its parent, siblings oldest first,
// and sets Depth. Snapshots whose parent is missing count as roots.
func treeOrder(snaps []model.VMSnapshot) []model.VMSnapshot {
	byParent := make(map[string][]model.VMSnapshot)
	names := make(map[string]bool, len(snaps))
	for _, s := range snaps {
		names[s.Name] = true
	}
	for _, s := range snaps {
		p := s.Parent
		if !names[p] || p == s.Name {
			p = ""
		}
		byParent[p] = append(byParent[p], s)
	}
	out := make([]model.VMSnapshot, 0, len(snaps))
	seen := make(map[string]bool, len(snaps))
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := byParent[parent]
		slices.SortStableFunc(kids, func(a, b model.VMSnapshot) int {
			if c := a.Time.Compare(b.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		for _, k := range kids {
			if seen[k.Name] {
				continue
			}
			seen[k.Name] = true
			k.Depth = depth
			out = append(out, k)
			walk(k.Name, depth+1)
		}
	}
	walk("", 0)
	// A cycle (corrupt metadata) would leave some out: list them as roots.
	for _, s := range snaps {
		if !seen[s.Name] {
			seen[s.Name] = true
			s.Depth = 0
			out = append(out, s)
		}
	}
	return out
}

// snapshotCtx gives a snapshot operation the default deadline.
func snapshotCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultSnapshotTimeout)
}

// Snapshots lists the domain's snapshots as a tree: each after its parent.
func (s *Source) Snapshots(ctx context.Context, uuid string) ([]model.VMSnapshot, error) {
	name := s.nameOf(uuid)
	out, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) ([]model.VMSnapshot, error) {
		snaps, err := d.ListAllSnapshots(0)
		if err != nil {
			return nil, err
		}
		list := make([]model.VMSnapshot, 0, len(snaps))
		defer func() {
			for i := range snaps {
				_ = snaps[i].Free()
			}
		}()
		for i := range snaps {
			doc, err := snaps[i].GetXMLDesc(0)
			if err != nil {
				return nil, err
			}
			v, err := parseSnapshotXML(doc)
			if err != nil {
				return nil, err
			}
			v.Current, _ = snaps[i].IsCurrent(0)
			list = append(list, v)
		}
		return treeOrder(list), nil
	})
	if err != nil {
		return nil, snapErr("list the snapshots", name, err)
	}
	return out, nil
}

// SnapshotChecks says, for each kind of snapshot, whether libvirt would
// take one of the domain now, and what stops it, so the UI can say so
// before the click.
func (s *Source) SnapshotChecks(ctx context.Context, uuid string) ([]model.SnapshotCheck, error) {
	name := s.nameOf(uuid)
	out, err := onDomainConn(ctx, s, uuid, nil, func(conn *libvirt.Connect, d *libvirt.Domain) ([]model.SnapshotCheck, error) {
		var env snapshotEnv
		var err error
		if env.running, err = d.IsActive(); err != nil {
			return nil, err
		}
		env.driver, _ = conn.GetType()
		env.libVersion, _ = conn.GetLibVersion()
		doc, err := d.GetXMLDesc(0)
		if err != nil {
			return nil, err
		}
		return checkSnapshots(doc, env)
	})
	if err != nil {
		return nil, snapErr("check snapshots", name, err)
	}
	return out, nil
}

// CreateSnapshot takes a snapshot of the kind asked for. A name "" lets
// libvirt pick one (the time). It fails with the pre-check's words when
// that already knows libvirt would refuse, else with libvirt's reason.
func (s *Source) CreateSnapshot(ctx context.Context, uuid string, kind model.SnapshotKind, snapName, description string) error {
	name := s.nameOf(uuid)
	ctx, cancel := snapshotCtx(ctx)
	defer cancel()
	checks, err := s.SnapshotChecks(ctx, uuid)
	if err != nil {
		return err
	}
	for _, c := range checks {
		if c.Kind == kind && !c.OK() {
			return &SnapshotError{Words: "cannot take a " + kind.String() + " of " + name + ": " + strings.Join(c.Problems, "; ")}
		}
	}
	var flags libvirt.DomainSnapshotCreateFlags
	switch kind {
	case model.SnapshotInternal:
	case model.SnapshotDiskOnly:
		flags = libvirt.DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.DOMAIN_SNAPSHOT_CREATE_ATOMIC
	default:
		return &SnapshotError{Words: "cannot take a snapshot of " + name + ": unknown kind " + strconv.Quote(string(kind))}
	}
	doc, err := (&libvirtxml.DomainSnapshot{Name: snapName, Description: description}).Marshal()
	if err != nil {
		return &SnapshotError{Words: "cannot take a snapshot of " + name + ": " + err.Error(), Err: err}
	}
	_, err = onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (struct{}, error) {
		snap, err := d.CreateSnapshotXML(doc, flags)
		if err == nil {
			_ = snap.Free()
		}
		return struct{}{}, err
	})
	if err != nil {
		return snapErr("take a "+kind.String(), name, err)
	}
	s.signal() // a memory snapshot pauses the guest for a while
	return nil
}

// RevertSnapshot returns the domain to the snapshot snapName: what was
// written since is lost (model.VMSnapshot.RevertLoses says what).
func (s *Source) RevertSnapshot(ctx context.Context, uuid, snapName string) error {
	name := s.nameOf(uuid)
	ctx, cancel := snapshotCtx(ctx)
	defer cancel()
	_, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (struct{}, error) {
		snap, err := d.SnapshotLookupByName(snapName, 0)
		if err != nil {
			return struct{}{}, err
		}
		defer func() { _ = snap.Free() }()
		return struct{}{}, snap.RevertToSnapshot(0)
	})
	if err != nil {
		return snapErr("revert to snapshot "+strconv.Quote(snapName), name, err)
	}
	s.signal()
	return nil
}

// DeleteSnapshot deletes the snapshot snapName; its children are kept
// (re-parented) unless withChildren.
func (s *Source) DeleteSnapshot(ctx context.Context, uuid, snapName string, withChildren bool) error {
	name := s.nameOf(uuid)
	ctx, cancel := snapshotCtx(ctx)
	defer cancel()
	var flags libvirt.DomainSnapshotDeleteFlags
	if withChildren {
		flags = libvirt.DOMAIN_SNAPSHOT_DELETE_CHILDREN
	}
	_, err := onDomain(ctx, s, uuid, nil, func(d *libvirt.Domain) (struct{}, error) {
		snap, err := d.SnapshotLookupByName(snapName, 0)
		if err != nil {
			return struct{}{}, err
		}
		defer func() { _ = snap.Free() }()
		return struct{}{}, snap.Delete(flags)
	})
	if err != nil {
		return snapErr("delete snapshot "+strconv.Quote(snapName), name, err)
	}
	return nil
}
