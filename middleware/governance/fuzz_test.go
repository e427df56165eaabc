package governance

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/transport"
)

// FuzzClientIP: whatever a client puts in X-Forwarded-For and whatever
// the connection's address, the key is the peer itself, an address the
// header named, or (for a peer that is no IP) the peer's text — never a
// hop a trusted proxy did not vouch for, and never longer than the input.
func FuzzClientIP(f *testing.F) {
	for _, c := range [][2]string{
		{"10.0.0.1:1", "203.0.113.7"}, {"10.0.0.1:1", "1.1.1.1, 10.0.0.2"}, {"198.51.100.1:2", "203.0.113.7"},
		{"[::1]:80", "2001:db8::1,, ,"}, {"10.0.0.1:1", "garbage, 1.1.1.1"}, {"", ""}, {"not-an-ip", "1.1.1.1"},
		{"10.0.0.1:1", strings.Repeat("10.0.0.3, ", 100)}, {"[::ffff:10.0.0.1]:80", "::ffff:1.2.3.4"},
	} {
		f.Add(c[0], c[1])
	}
	proxies, _ := parsePrefixes([]string{"10.0.0.0/8", "::1"})
	f.Fuzz(func(t *testing.T, peer, xff string) {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /")
		tr.TRemoteAddr = peer
		tr.Request.Set("X-Forwarded-For", xff)
		got := clientIP(tr, proxies)
		p := hostAddr(peer)
		if !p.IsValid() {
			if got != peer {
				t.Fatalf("peer %q is no IP: key %q, want the peer's text", peer, got)
			}
			return
		}
		if !trusted(p, proxies) {
			if got != p.String() {
				t.Fatalf("untrusted peer %q: key %q, want the peer", peer, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("key %q is no address (peer %q, X-Forwarded-For %q)", got, peer, xff)
		}
		named := a == p
		for hop := range strings.SplitSeq(xff, ",") {
			if h, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && h.Unmap() == a {
				named = true
			}
		}
		if !named {
			t.Fatalf("key %q is neither the peer %q nor in X-Forwarded-For %q", got, peer, xff)
		}
	})
}
