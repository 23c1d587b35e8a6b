package console

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	bt "github.com/horcrux-desktop/horcrux/internal/browsertest"
)

// TestSPICETicketsDecrypt encrypts SPICE tickets with the page's spice-html5
// in Chromium, against a key made here as a SPICE server makes its own, and
// decrypts each as the server does. spice-html5 0.2.1 alone drops the
// ciphertext's leading zero bytes, so about one ticket in 256 cannot be
// decrypted and the server refuses that channel; spiceclient.js pads them.
func TestSPICETicketsDecrypt(t *testing.T) {
	s := pageServer(t)
	minted, err := s.Mint(TCPTarget("ci-vm", uuidA, "127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(minted)
	if err != nil {
		t.Fatal(err)
	}
	// The server's link reply carries a 1024-bit key as X.509 SubjectPublicKeyInfo.
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	page := bt.NewTab(t, bt.Start(t))
	page.Do(t, chromedp.Navigate(u.Scheme+"://"+u.Host+pagePath+"spice.html"))
	const n = 3000 // without the padding, over 11 expected failures
	tickets := bt.Eval[[]string](t, page, fmt.Sprintf(`(async () => {
		await import(new URL('spiceclient.js', location.href).href);
		const { create_rsa_from_mb, rsa_encrypt } = await import(new URL('spice/src/ticket.js', location.href).href);
		const der = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
		const key = create_rsa_from_mb(der.buffer, 0);
		const out = [];
		for (let i = 0; i < %d; i++) {
			out.push(btoa(String.fromCharCode(...rsa_encrypt(key, '\0'))));
		}
		return out;
	})()`, base64.StdEncoding.EncodeToString(der), n))
	if len(tickets) != n {
		t.Fatalf("%d tickets, want %d", len(tickets), n)
	}
	var refused int
	for _, b64 := range tickets {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		// The link message holds 128 bytes: what rsa_encrypt returned, then zeros.
		ticket := make([]byte, key.Size())
		copy(ticket, raw)
		if pw, err := rsa.DecryptOAEP(sha1.New(), nil, key, ticket, nil); err != nil || string(pw) != "\x00" {
			refused++
		}
	}
	if refused > 0 {
		t.Errorf("%d of %d tickets would be refused by the SPICE server", refused, n)
	}
}
