package goxtest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections to a server, so that a test can take the
// server away from a client without touching the real one, which other
// tests share: Down stops listening and cuts every connection (the server
// is gone), Up listens again on the same address (it is back), and
// CutAfter cuts the connections once n more client bytes went through
// while still accepting new ones (a connection dropped mid-request).
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	cutAt atomic.Int64 // client bytes forwarded at which to cut; 0: never
	sent  atomic.Int64
}

// NewProxy listens on a free loopback port and forwards to target; it is
// closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(func() { p.Down(); p.wg.Wait() })
	return p
}

// Addr is the proxy's host:port, for the client under test.
func (p *Proxy) Addr() string { return p.addr }

// Down stops listening and cuts every forwarded connection: the server is
// unreachable through the proxy.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	p.cutLocked()
}

// Up listens again on the same address.
func (p *Proxy) Up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// CutAfter cuts every connection once n more bytes from clients were
// forwarded; new connections are still accepted.
func (p *Proxy) CutAfter(n int64) { p.cutAt.Store(p.sent.Load() + n) }

func (p *Proxy) cutLocked() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.forward(c)
		}
	}()
}

func (p *Proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		_ = c.Close()
		_ = s.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	p.wg.Add(2)
	go p.pipe(s, c, true)
	go p.pipe(c, s, false)
}

// pipe copies src to dst, counting client bytes (up) against the cut.
func (p *Proxy) pipe(dst, src net.Conn, up bool) {
	defer p.wg.Done()
	defer func() {
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			if up {
				if sent, at := p.sent.Add(int64(n)), p.cutAt.Load(); at > 0 && sent >= at {
					p.cutAt.Store(0)
					p.mu.Lock()
					p.cutLocked()
					p.mu.Unlock()
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
