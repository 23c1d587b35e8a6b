package doctor

import (
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// agentChannel is the device a domain needs for the QEMU guest agent.
const agentChannel = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"

// startAgent is how to run the agent inside a guest.
const startAgent = "in the guest: `apt install qemu-guest-agent && systemctl enable --now qemu-guest-agent` " +
	"(other Linux: the qemu-guest-agent package; Windows: the virtio-win guest tools)"

// planAgent reads a running domain's live XML for its guest agent: libvirt
// marks the channel connected while qemu-ga in the guest holds it open.
func planAgent(doc, uri, name string) Result {
	r := Result{Check: "VM guest agent " + name + " (" + uri + ")", Status: StatusOK}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		r.Status = StatusWarning
		r.Detail = "its XML does not parse (" + err.Error() + "), so its guest agent is unknown"
		r.Fix = "look at it with `virsh -c " + shellQuote(uri) + " dumpxml " + shellQuote(name) + "`"
		return r
	}
	state, found := "", false
	if d.Devices != nil {
		for _, c := range d.Devices.Channels {
			if c.Target != nil && c.Target.VirtIO != nil && c.Target.VirtIO.Name == "org.qemu.guest_agent.0" {
				state, found = c.Target.VirtIO.State, true
				break
			}
		}
	}
	switch {
	case !found:
		r.Status = StatusWarning
		r.Detail = "has no guest agent channel: its OS, hostname, filesystems and (off libvirt networks) IP address are unknown"
		r.Fix = "add " + agentChannel + " with `virsh -c " + shellQuote(uri) + " edit " + shellQuote(name) +
			"` (virt-manager: Add Hardware > Channel > org.qemu.guest_agent.0), restart the VM, then " + startAgent
	case state == "connected":
		r.Detail = "guest agent connected: IP addresses, OS and filesystems come from inside the guest"
	case state == "disconnected":
		r.Status = StatusWarning
		r.Detail = "has a guest agent channel but no agent answers on it: qemu-guest-agent is not running in the guest"
		r.Fix = startAgent
	default:
		r.Detail = "has a guest agent channel; this libvirt does not say whether the agent is connected"
	}
	return r
}

// agents checks the guest agent of every running VM on one reachable URI.
func (c *checker) agents(uri string, doms []domainDesc) []Result {
	doms = slices.Clone(doms)
	slices.SortFunc(doms, func(a, b domainDesc) int { return strings.Compare(a.name, b.name) })
	out := make([]Result, 0, len(doms))
	for _, d := range doms {
		if d.err != nil {
			continue // the console check already says its XML could not be read
		}
		out = append(out, planAgent(d.xml, uri, d.name))
	}
	return out
}
