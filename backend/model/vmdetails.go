package model

// VMDetails is what the details view shows of one machine: its devices as
// the domain XML declares them, with disk sizes read from libvirt.
type VMDetails struct {
	Name       string        `json:"name"`
	Firmware   string        `json:"firmware"` // "BIOS", "UEFI", or the loader path
	Disks      []VMDisk      `json:"disks"`
	Interfaces []VMInterface `json:"interfaces"`
	Graphics   []string      `json:"graphics"` // e.g. "VNC on 127.0.0.1:5900"
	Serials    []string      `json:"serials"`  // e.g. "serial 0 (pty /dev/pts/3)"
	XML        string        `json:"xml"`      // the domain XML as libvirt prints it
}

// VMDisk is one disk or CD-ROM of a machine.
type VMDisk struct {
	Target string `json:"target"` // e.g. "vda"
	Device string `json:"device"` // "disk", "cdrom", ...
	Bus    string `json:"bus"`
	Source string `json:"source"` // file path, device, volume or network name
	Format string `json:"format"` // driver type: "qcow2", "raw", ...
	// Sizes from libvirt's block info; SizeWhy says why they are unknown.
	CapacityBytes   uint64 `json:"capacity_bytes"`
	AllocationBytes uint64 `json:"allocation_bytes"`
	SizeWhy         string `json:"size_why,omitempty"`
}

// VMInterface is one network interface of a machine.
type VMInterface struct {
	MAC    string `json:"mac"`
	Type   string `json:"type"`   // "network", "bridge", "user", ...
	Source string `json:"source"` // the network or bridge name
	Model  string `json:"model"`  // e.g. "virtio"
}
