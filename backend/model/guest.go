package model

import (
	"net/netip"
	"time"
)

// GuestFacts is what a running VM says about itself (through the QEMU guest
// agent) or what the host knows of its addresses (DHCP leases, ARP). A fact
// that could not be read is empty and its *Why field says why, in words.
// Facts are fetched in the background, so they may be up to a minute old.
type GuestFacts struct {
	Time         time.Time      `json:"time"`                    // when they were read
	Addresses    []GuestAddress `json:"addresses"`               // every address, agent's first
	AddressesWhy string         `json:"addresses_why,omitempty"` // why there are none
	OSName       string         `json:"os_name,omitempty"`       // e.g. "Debian GNU/Linux"
	OSVersion    string         `json:"os_version,omitempty"`    // e.g. "12 (bookworm)"
	Kernel       string         `json:"kernel,omitempty"`        // kernel release
	Hostname     string         `json:"hostname,omitempty"`      // the guest's own name
	FileSystems  []GuestFS      `json:"filesystems"`             // mounted filesystems with a size
	// AgentWhy says why the agent's facts (OS, hostname, filesystems) are
	// missing: no agent channel, agent not answering, driver without support.
	AgentWhy string `json:"agent_why,omitempty"`
}

// AddrSource says where an address came from, most trusted first.
type AddrSource string

// The sources of a guest address.
const (
	AddrAgent AddrSource = "agent" // the guest agent, from inside the guest
	AddrLease AddrSource = "lease" // a libvirt network's DHCP lease
	AddrARP   AddrSource = "arp"   // the host's ARP table
)

// GuestAddress is one IP address of one guest interface.
type GuestAddress struct {
	Interface string     `json:"interface"` // guest name (agent) or host-side name
	MAC       string     `json:"mac"`
	Addr      string     `json:"addr"` // without prefix
	Prefix    int        `json:"prefix"`
	Source    AddrSource `json:"source"`
}

// GuestFS is one guest filesystem and how full it is.
type GuestFS struct {
	Mount      string `json:"mount"`
	Device     string `json:"device"`
	Type       string `json:"type"`
	TotalBytes uint64 `json:"total_bytes"`
	UsedBytes  uint64 `json:"used_bytes"`
}

// UsedPercent is the share of the filesystem in use, 0-100.
func (f GuestFS) UsedPercent() float64 {
	if f.TotalBytes == 0 {
		return 0
	}
	return 100 * float64(f.UsedBytes) / float64(f.TotalBytes)
}

// PrimaryAddress is the address a user most likely wants to reach the guest
// at: the first IPv4 one that is not loopback or link-local (IPv6 after), from
// the most trusted source. ok is false when there is none.
func (g *GuestFacts) PrimaryAddress() (a GuestAddress, ok bool) {
	if g == nil {
		return GuestAddress{}, false
	}
	best := -1
	for i, x := range g.Addresses {
		ip, err := netip.ParseAddr(x.Addr)
		if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			continue
		}
		if ip.Is4() {
			return x, true
		}
		if best < 0 {
			best = i
		}
	}
	if best < 0 {
		return GuestAddress{}, false
	}
	return g.Addresses[best], true
}
