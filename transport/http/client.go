package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/tlsconf"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/selector"
	"github.com/goxkit/gox/transport"
)

// Client calls HTTP services through a client middleware chain (tracing,
// request id, metadata, metrics) and turns error responses back into
// *errors.Error, so errors.Is matches the server's sentinel.
type Client struct {
	hc    *http.Client
	base  *url.URL
	chain middleware.Middleware

	// discovery clients ("discovery:///<service>")
	discovery registry.Discovery
	balancer  selector.Balancer
	filters   []selector.Filter
	health    *selector.InstanceHealth
	logger    *slog.Logger
	sel       *selector.Selector
	watcher   registry.Watcher
	cancel    context.CancelFunc
	done      chan struct{}

	tlsFiles *ClientTLSConfig // WithTLSFiles
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithClientMiddleware sets the client chain, outermost first.
func WithClientMiddleware(m ...middleware.Middleware) ClientOption {
	return func(c *Client) { c.chain = middleware.Chain(m...) }
}

// WithHTTPClient sets the underlying client (transport, TLS, timeouts).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// WithTLSFiles makes the client trust the CAs of t.CAFile and show the
// certificate of t.CertFile and t.KeyFile to servers that ask (mutual TLS).
// The files are read by NewClient — an error names the file — and again when
// they change, at most once a second, when a connection is opened. It sets up
// a clone of the transport of the client in use: http.DefaultTransport, or
// the *http.Transport of WithHTTPClient, in whichever order they come.
func WithTLSFiles(t ClientTLSConfig) ClientOption { return func(c *Client) { c.tlsFiles = &t } }

// WithDiscovery lets the client call a service by name: a base URL
// "discovery:///<service>[/path]" is resolved through d, and each call (each
// attempt, under the retry middleware) goes to one of the instances'
// http:// or https:// endpoints chosen by b (P2C when nil) among those the
// filters pass. Each instance has a circuit breaker and is ejected when it
// keeps failing (selector.InstanceHealth; tune it with WithInstanceHealth). A call
// for a service with no instance fails at once with Unavailable naming the
// service. Close stops following the registry.
func WithDiscovery(d registry.Discovery, b selector.Balancer, filters ...selector.Filter) ClientOption {
	return func(c *Client) { c.discovery, c.balancer, c.filters = d, b, filters }
}

// WithInstanceHealth sets how a discovery client guards the instances.
func WithInstanceHealth(h selector.InstanceHealth) ClientOption {
	return func(c *Client) { c.health = &h }
}

// WithClientLogger is where the client logs what it ignores (a peer's
// malformed endpoint, a failed registry read); default slog.Default().
func WithClientLogger(l *slog.Logger) ClientOption { return func(c *Client) { c.logger = l } }

// NewClient returns a Client for the service at baseURL: "http://host:port",
// or "discovery:///<service>" with WithDiscovery.
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Scheme != schemeDiscovery) {
		return nil, fmt.Errorf("http client: base URL %q must look like http://host:port or discovery:///<service>", baseURL)
	}
	c := &Client{hc: http.DefaultClient, base: u, chain: middleware.Chain(), logger: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	if c.tlsFiles != nil {
		if c.hc, err = withTLSFiles(c.hc, *c.tlsFiles); err != nil {
			return nil, err
		}
	}
	if u.Scheme != schemeDiscovery {
		if c.discovery != nil {
			return nil, fmt.Errorf("http client: WithDiscovery needs a discovery:///<service> base URL, not %q", baseURL)
		}
		return c, nil
	}
	if c.discovery == nil {
		return nil, fmt.Errorf("http client: base URL %q needs WithDiscovery", baseURL)
	}
	service, rest, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if u.Host != "" || service == "" {
		return nil, fmt.Errorf("http client: base URL %q must look like discovery:///<service>", baseURL)
	}
	c.base = &url.URL{Scheme: schemeDiscovery, Host: service, Path: "/" + rest}
	if err := c.follow(service); err != nil {
		return nil, err
	}
	return c, nil
}

const schemeDiscovery = "discovery"

// follow starts watching service: the first set is read before NewClient
// returns, so the first call already knows the instances.
func (c *Client) follow(service string) error {
	c.sel = selector.New(service, c.balancer, c.filters...)
	if c.health != nil {
		c.sel.SetInstanceHealth(*c.health)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := c.discovery.Watch(ctx, service)
	if err != nil {
		cancel()
		return fmt.Errorf("http client: watching service %s: %w", service, err)
	}
	c.watcher, c.cancel, c.done = w, cancel, make(chan struct{})
	update := func(set []*registry.ServiceInstance, err error) {
		if err != nil {
			c.logger.Warn("discovery: reading the registry failed; keeping the instances known", "service", service, "error", err)
			return
		}
		nodes, bad := selector.NodesOf(set, "http", "https")
		for _, b := range bad {
			c.logger.Warn("discovery: ignoring a malformed endpoint", "service", service, "endpoint", b)
		}
		c.sel.Apply(nodes)
	}
	first, err := w.Next()
	if err != nil {
		_ = w.Stop()
		cancel()
		return fmt.Errorf("http client: discovering service %s: %w", service, err)
	}
	update(first, nil)
	go func() {
		defer close(c.done)
		selector.Follow(ctx, w, update)
	}()
	return nil
}

// Close stops a discovery client following the registry; calls made after
// it fail. A client with a plain base URL has nothing to close.
func (c *Client) Close() error {
	if c.cancel == nil {
		return nil
	}
	err := c.watcher.Stop()
	c.cancel()
	<-c.done
	return err
}

// Selector is the selector a discovery client picks instances with — to
// show its instances and their breakers on a status page
// (selector.Selector.State) — or nil for a client of one base URL.
func (c *Client) Selector() *selector.Selector { return c.sel }

// URL is the address of path on the client's service.
func (c *Client) URL(path string) string {
	p, query, _ := strings.Cut(path, "?")
	u := c.base.JoinPath(p)
	u.RawQuery = query
	return u.String()
}

// Invoke sends in as JSON (when not nil) to method path and decodes a 2xx JSON
// reply into out (when not nil). A non-2xx reply is returned as *errors.Error.
func (c *Client) Invoke(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("http client: encode request for %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("http client: decode reply of %s %s: %w", method, path, err)
	}
	return nil
}

// Do sends req through the chain. A non-2xx response is consumed, closed and
// returned as an *errors.Error.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	tr := &clientTransport{req: req, endpoint: req.URL.Host, operation: req.Method + " " + req.URL.Path}
	if c.sel != nil {
		tr.endpoint = schemeDiscovery + ":///" + c.sel.Service()
	}
	ctx := transport.NewClientContext(req.Context(), tr)
	attempt := 0
	var last error
	reply, err := c.chain(func(ctx context.Context, _ any) (any, error) {
		attempt++
		r := req.WithContext(ctx)
		if attempt > 1 || c.sel != nil || hasDeadline(ctx) {
			r = req.Clone(ctx) // its own URL and headers
			if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
				if req.GetBody == nil {
					return nil, last // the body is gone: cannot try again
				}
				body, err := req.GetBody()
				if err != nil {
					return nil, last
				}
				r.Body = body
			}
		}
		if dl, ok := ctx.Deadline(); ok {
			r.Header.Set(transportx.HeaderTimeout, time.Until(dl).Round(time.Millisecond).String())
		}
		done := func(context.Context, selector.DoneInfo) {}
		if c.sel != nil {
			node, d, err := c.sel.Pick(ctx)
			if err != nil {
				return nil, err
			}
			done = d
			r.URL.Scheme, r.URL.Host, r.Host = node.Scheme, node.Address, ""
			tr.endpoint = node.Address
		}
		resp, err := c.hc.Do(r)
		if err != nil {
			last = unreachable(ctx, r, err)
			done(ctx, selector.DoneInfo{Err: last})
			return nil, last
		}
		tr.reply = resp.Header
		if resp.StatusCode >= 300 {
			defer resp.Body.Close()
			last = DecodeError(resp)
			done(ctx, selector.DoneInfo{Err: last})
			return nil, last
		}
		done(ctx, selector.DoneInfo{})
		return resp, nil
	})(ctx, req)
	if err != nil {
		return nil, err
	}
	return reply.(*http.Response), nil
}

func hasDeadline(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
}

// ReasonUnreachable is the reason of the error a call gets when no reply
// came back: the connection was refused, reset or broken.
const ReasonUnreachable = "UNREACHABLE"

// unreachable turns a failed round trip into the caller's deadline or
// cancellation error when that is what ended it, else into Unavailable.
func unreachable(ctx context.Context, r *http.Request, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Unavailable(ReasonUnreachable, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Redacted(), err)).WithCause(err)
}

type clientTransport struct {
	req       *http.Request
	reply     http.Header
	endpoint  string
	operation string
}

// Idempotent implements transportx.Idempotent by method (RFC 9110 §9.2.2).
func (t *clientTransport) Idempotent() bool {
	switch t.req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (t *clientTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (t *clientTransport) Endpoint() string                { return t.endpoint }
func (t *clientTransport) Operation() string               { return t.operation }
func (t *clientTransport) RequestHeader() transport.Header { return headerCarrier(t.req.Header) }
func (t *clientTransport) ReplyHeader() transport.Header {
	if t.reply == nil {
		t.reply = http.Header{}
	}
	return headerCarrier(t.reply)
}

// Call sends in as JSON (when not nil) to method path on c's service and
// returns the 2xx JSON reply decoded as Out; a non-2xx reply is an
// *errors.Error. It is Invoke with the reply's type in the signature:
//
//	user, err := xhttp.Call[User](ctx, users, http.MethodGet, "/users/7", nil)
func Call[Out any](ctx context.Context, c *Client, method, path string, in any) (Out, error) {
	var out Out
	err := c.Invoke(ctx, method, path, in, &out)
	return out, err
}

// withTLSFiles returns a copy of hc whose transport dials TLS with the
// current files of t.
func withTLSFiles(hc *http.Client, t ClientTLSConfig) (*http.Client, error) {
	tc, err := tlsconf.NewClient("http client", t.files(), tlsconf.Options{NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		return nil, err
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("http client: WithTLSFiles needs the *http.Transport of WithHTTPClient to set up, not a %T", rt)
	}
	tr := base.Clone()
	tr.TLSClientConfig = tc.Config() // used through a proxy: the files as they were at start
	tr.ForceAttemptHTTP2 = true
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		cfg := tc.Config()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := tls.Client(raw, cfg)
		if err := conn.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}
	out := *hc
	out.Transport = tr
	return &out, nil
}
