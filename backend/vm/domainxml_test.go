package vm

import (
	"math"
	"testing"
)

func TestParseDomainXML(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want domainInfo
	}{
		{"test driver default", `<domain type='test'><name>test</name>
  <memory unit='KiB'>8388608</memory><currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu><devices><disk type='file'/></devices></domain>`,
			domainInfo{vcpus: 2, memoryBytes: 2 << 30}},
		{"vnc among others", `<domain type='kvm'><name>a</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <devices><graphics type='spice' autoport='yes'/><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices></domain>`,
			domainInfo{vnc: true, spice: true, vcpus: 1, memoryBytes: 64 << 20}},
		{"spice only", `<domain type='kvm'><name>a</name><memory>1024</memory><vcpu>4</vcpu>
  <devices><graphics type='spice'/></devices></domain>`,
			domainInfo{spice: true, vcpus: 4, memoryBytes: 1 << 20}},
		{"serial port", `<domain type='kvm'><name>a</name><devices><serial type='pty'><target port='0'/></serial></devices></domain>`,
			domainInfo{serial: true}},
		{"console only", `<domain type='kvm'><name>a</name><devices><console type='pty'><target type='virtio' port='0'/></console></devices></domain>`,
			domainInfo{serial: true}},
		{"current vcpus", `<domain type='kvm'><name>a</name><memory unit='GiB'>2</memory><vcpu current='2'>8</vcpu></domain>`,
			domainInfo{vcpus: 2, memoryBytes: 2 << 30}},
		{"guest agent channel", `<domain type='kvm'><name>a</name><devices>
  <channel type='unix'><target type='virtio' name='org.qemu.spice.0'/></channel>
  <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/></channel></devices></domain>`,
			domainInfo{agent: true}},
		{"other channel only", `<domain type='kvm'><name>a</name><devices>
  <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel></devices></domain>`,
			domainInfo{}},
		{"no devices", `<domain type='kvm'><name>a</name></domain>`, domainInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDomainXML(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := parseDomainXML("<domain><name>"); err == nil {
		t.Error("truncated XML parsed without error")
	}
}

func TestToBytes(t *testing.T) {
	tests := []struct {
		v    uint64
		unit string
		want uint64
	}{
		{1, "", 1024}, {1, "KiB", 1024}, {1, "k", 1024}, {1, "KB", 1000}, {3, "b", 3}, {3, "bytes", 3},
		{1, "MiB", 1 << 20}, {1, "M", 1 << 20}, {1, "MB", 1e6}, {1, "GiB", 1 << 30}, {1, "GB", 1e9},
		{1, "TiB", 1 << 40}, {1, "TB", 1e12}, {5, "parsecs", 0}, {math.MaxUint64 / 2, "MiB", math.MaxUint64},
	}
	for _, tt := range tests {
		if got := toBytes(tt.v, tt.unit); got != tt.want {
			t.Errorf("toBytes(%d, %q) = %d, want %d", tt.v, tt.unit, got, tt.want)
		}
	}
}

func FuzzParseDomainXML(f *testing.F) {
	f.Add(`<domain type='kvm'><name>a</name><memory unit='MiB'>64</memory><vcpu current='1'>2</vcpu><devices><graphics type='vnc'/></devices></domain>`)
	f.Add(`<domain><currentMemory unit='x'>9</currentMemory></domain>`)
	f.Fuzz(func(t *testing.T, doc string) {
		info, err := parseDomainXML(doc)
		if err != nil && info != (domainInfo{}) {
			t.Errorf("error %v but info %+v", err, info)
		}
		if info.vcpus < 0 {
			t.Errorf("negative vcpus %d", info.vcpus)
		}
	})
}
