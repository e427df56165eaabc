package governance

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/transport"
)

// maxKeyLen bounds the part of a rate-limit key taken from the request: a
// longer value shares the limit of its first maxKeyLen bytes.
const maxKeyLen = 256

// requestKey is the value a rate limit of source k is keyed by for this
// call: "" when the call has none (one shared limit for those).
func (g *Governor) requestKey(ctx context.Context, tr transport.Transporter, k keySource, proxies []netip.Prefix) string {
	var v string
	switch k.kind {
	case "":
		return ""
	case "header":
		v = tr.RequestHeader().Get(k.name)
	case "subject":
		if g.subject != nil {
			v = g.subject(ctx)
		}
	case "ip":
		v = clientIP(tr, proxies)
	}
	if len(v) > maxKeyLen {
		v = v[:maxKeyLen]
	}
	return v
}

// clientIP is the caller's address: the peer's, or, when the peer is a
// trusted proxy, the last address in X-Forwarded-For that is not one —
// walking from the right, as each proxy appends the address it saw, so a
// client cannot choose its key by sending the header itself.
func clientIP(tr transport.Transporter, proxies []netip.Prefix) string {
	ra, ok := tr.(transportx.RemoteAddr)
	if !ok {
		return ""
	}
	peer := hostAddr(ra.RemoteAddr())
	if !peer.IsValid() {
		return ra.RemoteAddr()
	}
	if !trusted(peer, proxies) {
		return peer.String()
	}
	values := tr.RequestHeader().Values("X-Forwarded-For")
	client := peer
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client.String() // a forged or broken hop: stop at the last good one
			}
			client = a.Unmap()
			if !trusted(client, proxies) {
				return client.String()
			}
		}
	}
	return client.String()
}

func hostAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
