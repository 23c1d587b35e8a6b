package console

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTicketRoundTrip(t *testing.T) {
	for i := 0; i < 100; i++ {
		tk := newTicket()
		s := tk.String()
		if len(s) != TicketLen {
			t.Fatalf("ticket %q has %d characters, want %d", s, len(s), TicketLen)
		}
		back, err := ParseTicket(s)
		if err != nil || back != tk {
			t.Fatalf("ParseTicket(%q) = %v, %v", s, back, err)
		}
	}
	if newTicket() == newTicket() {
		t.Fatal("two fresh tickets are equal")
	}
}

func TestParseTicketRejects(t *testing.T) {
	good := newTicket().String()
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"short", good[:42]},
		{"long", good + "A"},
		{"padding", good[:42] + "="},
		{"standard alphabet plus", "+" + good[1:]},
		{"standard alphabet slash", good[:10] + "/" + good[11:]},
		{"space", " " + good[1:]},
		{"non-ascii", "é" + good[2:]},
		{"nul", "\x00" + good[1:]},
		// 43 characters carry 258 bits: the last character's two low bits must be zero.
		{"non-canonical tail", strings.Repeat("A", 42) + "B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseTicket(tc.in); !errors.Is(err, ErrTicketMalformed) {
				t.Fatalf("ParseTicket(%q) error %v, want ErrTicketMalformed", tc.in, err)
			}
		})
	}
}

func TestTicketStore(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := newTicketStore(time.Minute)
	a, b := &grant{id: "a"}, &grant{id: "b"}

	ta := ts.mint(now, kindPage, a)
	if g, err := ts.redeem(now.Add(59*time.Second), kindPage, ta); err != nil || g != a {
		t.Fatalf("redeem within TTL = %v, %v", g, err)
	}
	if _, err := ts.redeem(now.Add(time.Second), kindPage, ta); !errors.Is(err, ErrTicketUsed) {
		t.Fatalf("second redeem: %v, want ErrTicketUsed", err)
	}

	tb := ts.mint(now, kindPage, b)
	if _, err := ts.redeem(now.Add(time.Minute), kindPage, tb); !errors.Is(err, ErrTicketExpired) {
		t.Fatalf("redeem at TTL: %v, want ErrTicketExpired", err)
	}

	tw := ts.mint(now, kindWS, a)
	if _, err := ts.redeem(now, kindPage, tw); !errors.Is(err, ErrTicketUnknown) {
		t.Fatalf("a WebSocket ticket redeemed as a page ticket: %v, want ErrTicketUnknown", err)
	}
	if _, err := ts.redeem(now, kindWS, newTicket()); !errors.Is(err, ErrTicketUnknown) {
		t.Fatalf("a never-minted ticket: %v, want ErrTicketUnknown", err)
	}
	ts.revoke(tw)
	if _, err := ts.redeem(now, kindWS, tw); !errors.Is(err, ErrTicketUnknown) {
		t.Fatalf("a revoked ticket: %v, want ErrTicketUnknown", err)
	}

	// Used and expired tickets are remembered for the keep window, then pruned.
	later := now.Add(time.Minute + ts.keep + time.Second)
	ts.prune(later)
	if len(ts.m) != 0 {
		t.Fatalf("%d tickets left after pruning, want 0", len(ts.m))
	}
	if _, err := ts.redeem(later, kindPage, ta); !errors.Is(err, ErrTicketUnknown) {
		t.Fatalf("a pruned ticket: %v, want ErrTicketUnknown", err)
	}
}

func FuzzParseTicket(f *testing.F) {
	f.Add(newTicket().String())
	f.Add(strings.Repeat("A", TicketLen))
	f.Add(strings.Repeat("_", TicketLen))
	f.Add(strings.Repeat("A", 42) + "B")
	f.Add("")
	f.Add("====")
	f.Add(strings.Repeat("é", 22))
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := ParseTicket(s)
		if err != nil {
			if !errors.Is(err, ErrTicketMalformed) {
				t.Fatalf("ParseTicket(%q): %v is not ErrTicketMalformed", s, err)
			}
			return
		}
		// A ticket has exactly one spelling.
		if tk.String() != s {
			t.Fatalf("ParseTicket(%q) re-encodes as %q", s, tk.String())
		}
	})
}
