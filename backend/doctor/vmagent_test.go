package doctor

import (
	"strings"
	"testing"
)

func TestPlanAgent(t *testing.T) {
	const uri = "qemu:///system"
	dom := func(devices string) string {
		return "<domain type='kvm'><name>web 1</name><devices>" + devices + "</devices></domain>"
	}
	tests := []struct {
		name   string
		xml    string
		status Status
		detail string
		fix    string
	}{
		{"connected", dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/></channel>"), StatusOK, "guest agent connected", ""},
		{"not running in the guest", dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel>"), StatusWarning, "no agent answers", "systemctl enable --now qemu-guest-agent"},
		{"no channel", dom("<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"), StatusWarning, "no guest agent channel", "virsh -c qemu:///system edit 'web 1'"},
		{"state unknown", dom("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"), StatusOK, "does not say", ""},
		{"XML that does not parse", "<domain", StatusWarning, "does not parse", "dumpxml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := planAgent(tt.xml, uri, "web 1")
			if r.Status != tt.status || !strings.Contains(r.Detail, tt.detail) || !strings.Contains(r.Fix, tt.fix) || (tt.fix == "") != (r.Fix == "") {
				t.Errorf("result %+v; want %s, detail with %q, fix with %q", r, tt.status, tt.detail, tt.fix)
			}
			if r.Check != "VM guest agent web 1 (qemu:///system)" {
				t.Errorf("check %q", r.Check)
			}
		})
	}
}
