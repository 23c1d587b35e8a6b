package model

import "testing"

func TestPrimaryAddress(t *testing.T) {
	addr := func(a string, src AddrSource) GuestAddress {
		return GuestAddress{Interface: "eth0", Addr: a, Source: src}
	}
	tests := []struct {
		name  string
		g     *GuestFacts
		want  string
		found bool
	}{
		{"no facts", nil, "", false},
		{"no addresses", &GuestFacts{}, "", false},
		{"IPv4 after IPv6", &GuestFacts{Addresses: []GuestAddress{addr("2001:db8::1", AddrAgent), addr("10.0.0.2", AddrAgent)}}, "10.0.0.2", true},
		{"IPv6 when alone", &GuestFacts{Addresses: []GuestAddress{addr("fe80::1", AddrAgent), addr("2001:db8::1", AddrAgent)}}, "2001:db8::1", true},
		{"loopback, link-local, unspecified, garbage", &GuestFacts{Addresses: []GuestAddress{
			addr("127.0.0.1", AddrAgent), addr("169.254.1.1", AddrAgent), addr("0.0.0.0", AddrAgent), addr("x", AddrAgent)}}, "", false},
	}
	for _, tt := range tests {
		a, ok := tt.g.PrimaryAddress()
		if ok != tt.found || a.Addr != tt.want {
			t.Errorf("%s: %+v %v, want %q %v", tt.name, a, ok, tt.want, tt.found)
		}
	}
}

func TestUsedPercent(t *testing.T) {
	if p := (GuestFS{TotalBytes: 200, UsedBytes: 50}).UsedPercent(); p != 25 {
		t.Errorf("50 of 200: %v %%", p)
	}
	if p := (GuestFS{UsedBytes: 50}).UsedPercent(); p != 0 {
		t.Errorf("no size: %v %%", p)
	}
}
