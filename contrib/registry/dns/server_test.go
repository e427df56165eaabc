package dns_test

import (
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// zone is an authoritative DNS server on loopback UDP, answering A and SRV
// questions from records the test sets: the real protocol, spoken to the
// discovery through Go's resolver, with the records a Kubernetes cluster
// DNS would publish.
type zone struct {
	conn net.PacketConn

	mu  sync.Mutex
	a   map[string][]net.IP  // name → addresses
	srv map[string][]srvData // _scheme._tcp.name → records
}

type srvData struct {
	target string
	port   uint16
}

func newZone(t *testing.T) *zone {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &zone{conn: conn, a: map[string][]net.IP{}, srv: map[string][]srvData{}}
	t.Cleanup(func() { _ = conn.Close() })
	go z.serve()
	return z
}

func (z *zone) addr() string { return z.conn.LocalAddr().String() }

func fqdn(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") + "." }

// setA makes name's A records exactly ips.
func (z *zone) setA(name string, ips ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []net.IP
	for _, ip := range ips {
		out = append(out, net.ParseIP(ip).To4())
	}
	if len(out) == 0 {
		delete(z.a, fqdn(name))
		return
	}
	z.a[fqdn(name)] = out
}

// setSRV makes name's SRV records exactly recs.
func (z *zone) setSRV(name string, recs ...srvData) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if len(recs) == 0 {
		delete(z.srv, fqdn(name))
		return
	}
	z.srv[fqdn(name)] = recs
}

func (z *zone) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := z.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if out := z.answer(buf[:n]); out != nil {
			_, _ = z.conn.WriteTo(out, from)
		}
	}
}

// answer builds the reply to one query: the records, NXDOMAIN for a name
// with none of any type, an empty NOERROR for a known name without records
// of the asked type.
func (z *zone) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	z.mu.Lock()
	a, srv := z.a[name], z.srv[name]
	z.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	if a == nil && srv == nil {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}
	switch q.Type {
	case dnsmessage.TypeA:
		for _, ip := range a {
			_ = b.AResource(hdr, dnsmessage.AResource{A: [4]byte(ip)})
		}
	case dnsmessage.TypeSRV:
		for _, s := range srv {
			_ = b.SRVResource(hdr, dnsmessage.SRVResource{Priority: 10, Weight: 50, Port: s.port,
				Target: dnsmessage.MustNewName(fqdn(s.target))})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
