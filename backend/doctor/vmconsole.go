package doctor

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"libvirt.org/go/libvirtxml"

	"github.com/horcrux-desktop/horcrux/backend/vm"
)

// maxProbes bounds the VNC probes in flight, for hosts with many VMs.
const maxProbes = 16

// vncGraphics is the line to add to a domain for the console to work.
const vncGraphics = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"

// consolePlan is what a domain's XML says about its console: either a
// verdict already, or an address to probe.
type consolePlan struct {
	status  Status // set when no probe is needed
	detail  string
	fix     string
	network string // "tcp" or "unix"
	addr    string
}

// planConsole reads a running domain's live XML. remoteHost is the host of
// a remote URI ("" when local): loopback there is not loopback here.
func planConsole(doc, uri, name, remoteHost string) consolePlan {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return consolePlan{status: StatusWarning, detail: "its XML does not parse (" + err.Error() + "), so its display is unknown",
			fix: "look at it with `virsh -c " + shellQuote(uri) + " dumpxml " + shellQuote(name) + "`"}
	}
	addVNC := "add a VNC graphics device with virt-manager or `virsh -c " + shellQuote(uri) + " edit " + shellQuote(name) +
		"` (" + vncGraphics + "), then restart the VM"
	var others []string
	if d.Devices != nil {
		for _, g := range d.Devices.Graphics {
			if g.VNC != nil {
				return planVNC(g.VNC, uri, name, remoteHost)
			}
			if t := graphicsType(g); !slices.Contains(others, t) {
				others = append(others, t)
			}
		}
	}
	switch {
	case len(others) == 0:
		return consolePlan{status: StatusWarning, detail: "has no display (no graphics device): the console cannot show it",
			fix: addVNC + "; for a serial text console use `virsh -c " + shellQuote(uri) + " console " + shellQuote(name) + "`"}
	case len(others) == 1 && others[0] == "SPICE":
		return consolePlan{status: StatusWarning, detail: "console needs VNC; this VM has SPICE only", fix: addVNC}
	}
	return consolePlan{status: StatusWarning, detail: "console needs VNC; this VM has " + strings.Join(others, " and ") + " graphics only", fix: addVNC}
}

func graphicsType(g libvirtxml.DomainGraphic) string {
	switch {
	case g.Spice != nil:
		return "SPICE"
	case g.RDP != nil:
		return "RDP"
	case g.SDL != nil:
		return "SDL"
	case g.Desktop != nil:
		return "desktop"
	case g.EGLHeadless != nil:
		return "egl-headless"
	case g.DBus != nil:
		return "D-Bus"
	}
	return "unknown"
}

// planVNC finds where a VNC display listens. A wildcard listen address
// (0.0.0.0, ::) is dialled on loopback, as the console does.
func planVNC(v *libvirtxml.DomainGraphicVNC, uri, name, remoteHost string) consolePlan {
	display := "`virsh -c " + shellQuote(uri) + " domdisplay " + shellQuote(name) + "`"
	sock := v.Socket
	listen := v.Listen
	for _, l := range v.Listeners {
		switch {
		case l.Socket != nil && sock == "":
			sock = l.Socket.Socket
		case l.Address != nil && listen == "":
			listen = l.Address.Address
		case l.Network != nil && listen == "":
			listen = l.Network.Address
		}
	}
	if sock != "" {
		if remoteHost != "" {
			return consolePlan{status: StatusWarning, detail: "VNC listens on a unix socket on " + remoteHost + " (" + sock + "): the console cannot reach it from here",
				fix: "give the VM a TCP VNC display with `virsh -c " + shellQuote(uri) + " edit " + shellQuote(name) + "` (" + vncGraphics + "), then restart the VM"}
		}
		return consolePlan{network: "unix", addr: sock}
	}
	if v.Port <= 0 {
		return consolePlan{status: StatusWarning, detail: "has VNC but no port assigned (port " + strconv.Itoa(v.Port) + ")",
			fix: "see where libvirt says the display is: " + display}
	}
	host := listen
	ip := net.ParseIP(host)
	switch {
	case host == "":
		host = "127.0.0.1" // qemu.conf's vnc_listen default
	case ip != nil && ip.IsUnspecified() && remoteHost != "":
		host = remoteHost
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	if remoteHost != "" && (host == "localhost" || ip != nil && ip.IsLoopback() || listen == "") {
		return consolePlan{status: StatusWarning,
			detail: "VNC listens on " + net.JoinHostPort(host, strconv.Itoa(v.Port)) + " of " + remoteHost + ", which is not reachable from here",
			fix:    "forward it: `ssh -L " + strconv.Itoa(v.Port) + ":127.0.0.1:" + strconv.Itoa(v.Port) + " " + remoteHost + "`, or make the VM listen on an address this machine reaches"}
	}
	return consolePlan{network: "tcp", addr: net.JoinHostPort(host, strconv.Itoa(v.Port))}
}

// consoles checks the display of every running VM on one reachable URI.
func (c *checker) consoles(ctx context.Context, uri string, doms []domainDesc) []Result {
	if len(doms) == 0 {
		return []Result{{Check: "VM consoles (" + uri + ")", Status: StatusOK, Detail: "no running VMs to check"}}
	}
	doms = slices.Clone(doms)
	slices.SortFunc(doms, func(a, b domainDesc) int { return strings.Compare(a.name, b.name) })
	_, remote := localURI(uri)
	out := make([]Result, len(doms))
	sem := make(chan struct{}, maxProbes)
	var wg sync.WaitGroup
	for i, d := range doms {
		r := Result{Check: "VM console " + d.name + " (" + uri + ")"}
		if d.err != nil {
			r.Status = StatusWarning
			r.Detail = "its XML could not be read (" + vm.Message(d.err) + "): it may have stopped meanwhile"
			r.Fix = "check it again: `horcrux doctor`"
			out[i] = r
			continue
		}
		p := planConsole(d.xml, uri, d.name, remote)
		if p.addr == "" {
			r.Status, r.Detail, r.Fix = p.status, p.detail, p.fix
			out[i] = r
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			a := probeRFB(pctx, p.network, p.addr)
			r.Status, r.Detail = describeRFB(p.addr, a, c.timeout)
			if r.Status != StatusOK {
				r.Fix = probeFix(a, p, uri, d.name)
			}
			out[i] = r
		})
	}
	wg.Wait()
	return out
}

// probeFix is the next step after a failed VNC probe.
func probeFix(a rfbAnswer, p consolePlan, uri, name string) string {
	display := "`virsh -c " + shellQuote(uri) + " domdisplay " + shellQuote(name) + "`"
	switch a.kind {
	case rfbNotVNC, rfbSilent, rfbClosed:
		if _, port, err := net.SplitHostPort(p.addr); err == nil && p.network == "tcp" {
			return "find what holds the port: `sudo ss -ltnp 'sport = :" + port + "'`; stop it, or give the VM another port (autoport='yes') and restart the VM"
		}
		return "see where libvirt says the display is: " + display + "; restart the VM to restart its VNC server"
	case rfbRefused:
		return "see where libvirt says the display is: " + display + "; restart the VM to restart its VNC server"
	}
	return "check that this machine reaches " + p.addr + " (firewall, routing), then " + display
}
