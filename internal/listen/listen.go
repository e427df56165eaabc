// Package listen binds a server's listener once, however many times it is
// asked, and tells the address and the URL to advertise. The HTTP and gRPC
// transports share it.
package listen

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
)

// Once is a listener bound on first use.
type Once struct {
	kind   string // "http" or "grpc", for messages
	addr   string
	scheme string
	tls    *tls.Config // wraps the listener when set

	mu  sync.Mutex
	lis net.Listener
	url atomic.Pointer[url.URL] // set once bound; read on every request
}

// New returns a Once for kind servers listening on addr; scheme names the URL
// (http, https, grpc) and tlsConf, when not nil, wraps the listener.
func New(kind, addr, scheme string, tlsConf *tls.Config) *Once {
	return &Once{kind: kind, addr: addr, scheme: scheme, tls: tlsConf}
}

// Use makes the server serve on lis instead of listening on its address.
func (o *Once) Use(lis net.Listener) {
	o.mu.Lock()
	o.lis = lis
	o.mu.Unlock()
}

// Bind listens unless already bound and returns the listener and the URL.
// Its error names the server kind and the address.
func (o *Once) Bind() (net.Listener, *url.URL, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if u := o.url.Load(); u != nil {
		return o.lis, u, nil
	}
	if o.lis == nil {
		lis, err := net.Listen("tcp", o.addr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s server: listen on %s: %w", o.kind, o.addr, err)
		}
		o.lis = lis
	}
	if o.tls != nil {
		o.lis = tls.NewListener(o.lis, o.tls)
	}
	u := &url.URL{Scheme: o.scheme, Host: advertiseAddr(o.lis.Addr())}
	o.url.Store(u)
	return o.lis, u, nil
}

// Addr is the bound address, or "" before Bind.
func (o *Once) Addr() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.url.Load() == nil {
		return ""
	}
	return o.lis.Addr().String()
}

// Host is the advertised host:port, or "" before Bind. It takes no lock.
func (o *Once) Host() string {
	if u := o.url.Load(); u != nil {
		return u.Host
	}
	return ""
}
