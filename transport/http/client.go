package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Client calls HTTP services through a client middleware chain (tracing,
// request id, metadata, metrics) and turns error responses back into
// *errors.Error, so errors.Is matches the server's sentinel.
type Client struct {
	hc    *http.Client
	base  *url.URL
	chain middleware.Middleware
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithClientMiddleware sets the client chain, outermost first.
func WithClientMiddleware(m ...middleware.Middleware) ClientOption {
	return func(c *Client) { c.chain = middleware.Chain(m...) }
}

// WithHTTPClient sets the underlying client (transport, TLS, timeouts).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// NewClient returns a Client for the service at baseURL ("http://host:port").
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("http client: base URL %q must look like http://host:port", baseURL)
	}
	c := &Client{hc: http.DefaultClient, base: u, chain: middleware.Chain()}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// URL is the address of path on the client's service.
func (c *Client) URL(path string) string { return c.base.JoinPath(path).String() }

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
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), body)
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
	ctx := transport.NewClientContext(req.Context(), tr)
	reply, err := c.chain(func(ctx context.Context, _ any) (any, error) {
		resp, err := c.hc.Do(req.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		tr.reply = resp.Header
		if resp.StatusCode >= 300 {
			defer resp.Body.Close()
			return nil, DecodeError(resp)
		}
		return resp, nil
	})(ctx, req)
	if err != nil {
		return nil, err
	}
	return reply.(*http.Response), nil
}

// DecodeError reads an error response (envelope, problem+json or anything
// else) into an *errors.Error. The body is read but not closed.
func DecodeError(resp *http.Response) *errors.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case ContentTypeProblem:
		var p Problem
		if json.Unmarshal(body, &p) == nil && p.Status != 0 {
			return &errors.Error{Code: p.Status, Reason: p.Reason, Message: p.Detail, Metadata: p.Metadata}
		}
	case "application/json":
		var e Envelope
		if json.Unmarshal(body, &e) == nil && e.Code != 0 {
			return &errors.Error{Code: e.Code, Reason: e.Reason, Message: e.Message, Metadata: e.Data}
		}
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &errors.Error{Code: resp.StatusCode, Message: msg}
}

type clientTransport struct {
	req       *http.Request
	reply     http.Header
	endpoint  string
	operation string
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
