package s3

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy forwards TCP connections to a target, so a test can make the
// server vanish in the middle of an upload: Down stops listening and cuts
// every connection (the server is gone), Up listens again (it is back), and
// CutAfter cuts the connections once n more client bytes were forwarded
// while still accepting new ones (a connection dropped mid-request).
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	cutAt atomic.Int64 // client bytes forwarded at which to cut; 0 = never
	sent  atomic.Int64
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(func() { p.Down(); p.wg.Wait() })
	return p
}

func (p *proxy) Addr() string { return p.addr }

// Down stops listening and cuts every forwarded connection.
func (p *proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.cutLocked()
}

func (p *proxy) cutLocked() {
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Up listens on the same address again.
func (p *proxy) Up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// CutAfter cuts every connection once n more bytes from clients were
// forwarded.
func (p *proxy) CutAfter(n int64) { p.cutAt.Store(p.sent.Load() + n) }

func (p *proxy) serve(ln net.Listener) {
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
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[s] = struct{}{}, struct{}{}
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); p.pipe(s, c, true) }()
			go func() { defer p.wg.Done(); p.pipe(c, s, false) }()
		}
	}()
}

// pipe copies src to dst, counting client bytes (up) against the cut.
func (p *proxy) pipe(dst, src net.Conn, up bool) {
	defer dst.Close()
	defer src.Close()
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
