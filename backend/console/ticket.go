package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// TicketLen is the length of a ticket string: 32 bytes in unpadded URL-safe base64.
const TicketLen = 43

// Errors a ticket can be refused with; the page words them for the user.
var (
	// ErrTicketMalformed: not 43 characters of URL-safe base64.
	ErrTicketMalformed = errors.New("console ticket is malformed")
	// ErrTicketUnknown: never minted here, minted for another use, revoked or long forgotten.
	ErrTicketUnknown = errors.New("console ticket is unknown (from another Horcrux run, or forgotten)")
	// ErrTicketExpired: presented after its TTL.
	ErrTicketExpired = errors.New("console ticket has expired")
	// ErrTicketUsed: presented a second time.
	ErrTicketUsed = errors.New("console ticket was already used")
)

// ticketEncoding rejects padding and non-zero trailing bits, so each ticket has one spelling.
var ticketEncoding = base64.RawURLEncoding.Strict()

// Ticket is a 256-bit secret that grants one use of a console.
type Ticket [32]byte

// newTicket draws a ticket from crypto/rand, which cannot fail since Go 1.24 (it crashes the program instead).
func newTicket() Ticket {
	var t Ticket
	_, _ = rand.Read(t[:])
	return t
}

// String returns the ticket in URL-safe base64 without padding (43 characters).
func (t Ticket) String() string { return ticketEncoding.EncodeToString(t[:]) }

// ParseTicket decodes a ticket string strictly: exactly 43 characters of the URL-safe base64 alphabet.
func ParseTicket(s string) (Ticket, error) {
	var t Ticket
	if len(s) != TicketLen {
		return t, fmt.Errorf("%w: %d characters, want %d", ErrTicketMalformed, len(s), TicketLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return t, fmt.Errorf("%w: character %d is not URL-safe base64", ErrTicketMalformed, i+1)
		}
	}
	n, err := ticketEncoding.Decode(t[:], []byte(s))
	if err != nil || n != len(t) {
		return Ticket{}, fmt.Errorf("%w: not canonical base64", ErrTicketMalformed)
	}
	return t, nil
}

// equalTickets compares two secrets in constant time.
func equalTickets(a, b Ticket) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

// ticketKey indexes tickets by a hash of the secret, so no map lookup ever branches on the secret itself.
type ticketKey [sha256.Size]byte

func keyOf(t Ticket) ticketKey { return sha256.Sum256(t[:]) }

// ticketKind keeps a page ticket from opening a WebSocket and the other way round.
type ticketKind uint8

const (
	kindPage ticketKind = iota + 1 // in the page URL; redeemed once by the page for its page secret
	kindWS                         // opens one WebSocket to the target
)

// ticketEntry is one minted ticket; used and expired entries stay a while so a refusal can say why.
type ticketEntry struct {
	secret  Ticket
	kind    ticketKind
	grant   *grant
	expires time.Time
	used    bool
}

// ticketStore holds minted tickets; the Server's mutex guards it.
type ticketStore struct {
	ttl  time.Duration // a ticket is valid this long after minting
	keep time.Duration // and remembered this long after that, to say "used" or "expired" rather than "unknown"
	m    map[ticketKey]*ticketEntry
}

func newTicketStore(ttl time.Duration) *ticketStore {
	return &ticketStore{ttl: ttl, keep: max(10*time.Minute, ttl), m: make(map[ticketKey]*ticketEntry)}
}

// mint stores a fresh ticket of kind for g.
func (ts *ticketStore) mint(now time.Time, kind ticketKind, g *grant) Ticket {
	ts.prune(now)
	t := newTicket()
	ts.m[keyOf(t)] = &ticketEntry{secret: t, kind: kind, grant: g, expires: now.Add(ts.ttl)}
	return t
}

// redeem uses up a ticket of kind and returns its grant.
func (ts *ticketStore) redeem(now time.Time, kind ticketKind, t Ticket) (*grant, error) {
	ts.prune(now)
	e, ok := ts.m[keyOf(t)]
	if !ok || !equalTickets(e.secret, t) || e.kind != kind {
		return nil, ErrTicketUnknown
	}
	switch {
	case e.used:
		return nil, ErrTicketUsed
	case !now.Before(e.expires):
		return nil, ErrTicketExpired
	}
	e.used = true
	return e.grant, nil
}

// revoke forgets t (a WebSocket ticket superseded by a newer one for the same page).
func (ts *ticketStore) revoke(t Ticket) { delete(ts.m, keyOf(t)) }

// prune drops entries past their expiry plus the keep window; minting and redeeming call it, so no timer goroutine is needed.
func (ts *ticketStore) prune(now time.Time) {
	for k, e := range ts.m {
		if now.Sub(e.expires) > ts.keep {
			delete(ts.m, k)
		}
	}
}
