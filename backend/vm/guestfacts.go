package vm

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/horcrux-desktop/horcrux/backend/model"
)

// agentChannelXML is the device a domain needs for its guest agent.
const agentChannelXML = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"

// agentInfoTypes are the GetGuestInfo groups the facts show; each is one
// agent command, so users, load and devices are left out.
const agentInfoTypes = libvirt.DOMAIN_GUEST_INFO_OS | libvirt.DOMAIN_GUEST_INFO_HOSTNAME |
	libvirt.DOMAIN_GUEST_INFO_FILESYSTEM

// addrSources are tried in this order; the first that gives a usable
// address wins (the agent sees inside the guest, a lease may be stale, ARP
// needs traffic).
var addrSources = [...]struct {
	src libvirt.DomainInterfaceAddressesSource
	tag model.AddrSource
}{
	{libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, model.AddrAgent},
	{libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, model.AddrLease},
	{libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_ARP, model.AddrARP},
}

// guestDomain is the part of libvirt's domain API the facts need, so the
// words for each failure can be tested without a hypervisor.
type guestDomain interface {
	ListAllInterfaceAddresses(libvirt.DomainInterfaceAddressesSource) ([]libvirt.DomainInterface, error)
	GetGuestInfo(libvirt.DomainGuestInfoTypes, uint32) (*libvirt.DomainGuestInfo, error)
}

// readFacts asks libvirt everything the facts show about one running
// domain. name and hasChannel (from its XML) shape the reasons given.
func readFacts(d guestDomain, name string, hasChannel bool, now time.Time) *model.GuestFacts {
	f := &model.GuestFacts{Time: now, Addresses: []model.GuestAddress{}, FileSystems: []model.GuestFS{}}
	var why []string
	for _, s := range addrSources {
		ifaces, err := d.ListAllInterfaceAddresses(s.src)
		if err != nil {
			why = append(why, string(s.tag)+": "+addrWhy(s.tag, err, hasChannel))
			continue
		}
		if addrs := addresses(ifaces, s.tag); usable(addrs) {
			f.Addresses = addrs
			break
		}
		why = append(why, string(s.tag)+": "+noAddrWhy(s.tag))
	}
	if len(f.Addresses) == 0 {
		f.AddressesWhy = "no IP address known (" + strings.Join(why, "; ") + ")"
	}
	info, err := d.GetGuestInfo(agentInfoTypes, 0)
	if err != nil {
		f.AgentWhy = agentWhy(err, name, hasChannel)
		return f
	}
	applyGuestInfo(f, info)
	return f
}

// addresses converts libvirt's interfaces, dropping loopback ones.
func addresses(ifaces []libvirt.DomainInterface, src model.AddrSource) []model.GuestAddress {
	var out []model.GuestAddress
	for _, in := range ifaces {
		if in.Name == "lo" {
			continue
		}
		for _, a := range in.Addrs {
			ip, err := netip.ParseAddr(a.Addr)
			if err != nil || ip.IsLoopback() {
				continue
			}
			out = append(out, model.GuestAddress{Interface: in.Name, MAC: in.Hwaddr, Addr: ip.String(), Prefix: int(a.Prefix), Source: src})
		}
	}
	return out
}

// usable reports whether any address can reach the guest from outside it.
func usable(addrs []model.GuestAddress) bool {
	_, ok := (&model.GuestFacts{Addresses: addrs}).PrimaryAddress()
	return ok
}

// applyGuestInfo copies the agent's answer into the facts.
func applyGuestInfo(f *model.GuestFacts, info *libvirt.DomainGuestInfo) {
	if info.OS != nil {
		f.OSName = info.OS.Name
		if info.OS.PrettyNameSet && info.OS.PrettyName != "" && f.OSName == "" {
			f.OSName = info.OS.PrettyName
		}
		f.OSVersion = info.OS.Version
		if f.OSVersion == "" {
			f.OSVersion = info.OS.VersionID
		}
		f.Kernel = info.OS.KernelRelease
	}
	if info.HostnameSet {
		f.Hostname = info.Hostname
	}
	for _, fs := range info.FileSystems {
		if !fs.TotalBytesSet || fs.TotalBytes == 0 {
			continue // pseudo filesystems and ones the agent could not stat
		}
		f.FileSystems = append(f.FileSystems, model.GuestFS{
			Mount: fs.MountPoint, Device: fs.Name, Type: fs.FSType,
			TotalBytes: fs.TotalBytes, UsedBytes: fs.UsedBytes,
		})
	}
}

// noChannelWords says how to give a domain a guest agent.
func noChannelWords(name string) string {
	return "the domain has no guest agent channel: add " + agentChannelXML +
		" with `virsh edit " + name + "` (virt-manager: Add Hardware > Channel > org.qemu.guest_agent.0), restart the VM and run qemu-guest-agent in it"
}

// agentWhy says why the guest agent gave no facts.
func agentWhy(err error, name string, hasChannel bool) string {
	var le libvirt.Error
	isLibvirt := errors.As(err, &le)
	switch {
	case isLibvirt && (le.Code == libvirt.ERR_NO_SUPPORT):
		return "not supported by this libvirt driver (" + Message(err) + ")"
	case !hasChannel:
		return noChannelWords(name)
	case isLibvirt && (le.Code == libvirt.ERR_AGENT_UNRESPONSIVE || le.Code == libvirt.ERR_AGENT_UNSYNCED):
		return "the guest agent is not answering (" + Message(err) + "): install and start qemu-guest-agent in the guest " +
			"(Debian: apt install qemu-guest-agent; systemctl enable --now qemu-guest-agent)"
	case isLibvirt && le.Code == libvirt.ERR_OPERATION_INVALID:
		return "the domain is not running (" + Message(err) + ")"
	}
	return "the guest agent failed: " + Message(err)
}

// addrWhy says in a few words why one address source failed; the agent's
// fix is in AgentWhy, not repeated here.
func addrWhy(src model.AddrSource, err error, hasChannel bool) string {
	var le libvirt.Error
	isLibvirt := errors.As(err, &le)
	switch {
	case isLibvirt && le.Code == libvirt.ERR_NO_SUPPORT:
		return "not supported by this libvirt driver"
	case src == model.AddrAgent && !hasChannel:
		return "no guest agent channel"
	case src == model.AddrAgent && isLibvirt && (le.Code == libvirt.ERR_AGENT_UNRESPONSIVE || le.Code == libvirt.ERR_AGENT_UNSYNCED):
		return "the guest agent is not answering"
	case src == model.AddrARP:
		return "cannot read the host's ARP table (" + Message(err) + ")"
	}
	return Message(err)
}

// noAddrWhy says why a source that answered gave no usable address.
func noAddrWhy(src model.AddrSource) string {
	switch src {
	case model.AddrAgent:
		return "the guest reports no address yet"
	case model.AddrLease:
		return "no DHCP lease yet (only interfaces on libvirt networks get one)"
	}
	return "no ARP entry for its MACs (the guest has sent no traffic the host saw)"
}
