package grpc

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/goxkit/gox/internal/tlsconf"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/selector"
	"github.com/goxkit/gox/transport"
)

type clientOptions struct {
	mws        []middleware.Middleware
	tls        *tls.Config
	tlsFiles   *ClientTLSConfig
	dialOpts   []grpc.DialOption
	discovery  *resolverBuilder
	health     *selector.InstanceHealth
	onSelector func(*selector.Selector)
	logger     *slog.Logger
	idempotent map[string]bool
}

// ClientOption configures Dial.
type ClientOption func(*clientOptions)

// WithClientMiddleware sets the client chain, outermost first.
func WithClientMiddleware(m ...middleware.Middleware) ClientOption {
	return func(o *clientOptions) { o.mws = append(o.mws, m...) }
}

// WithIdempotent declares methods ("/pkg.Service/Method") safe to repeat,
// for the retry middleware, besides those whose proto definition says so
// (option idempotency_level = IDEMPOTENT or NO_SIDE_EFFECTS).
func WithIdempotent(methods ...string) ClientOption {
	return func(o *clientOptions) {
		if o.idempotent == nil {
			o.idempotent = map[string]bool{}
		}
		for _, m := range methods {
			o.idempotent[m] = true
		}
	}
}

// WithTLS dials with TLS; without it (and WithTLSFiles) the connection is
// plaintext.
func WithTLS(c *tls.Config) ClientOption { return func(o *clientOptions) { o.tls = c } }

// WithTLSFiles dials with TLS, trusting the CAs of t.CAFile and showing the
// certificate of t.CertFile and t.KeyFile to servers that ask (mutual TLS).
// Dial reads the files — an error names the file — and each new connection
// reads them again when they changed, checked at most once a second. It
// takes the place of WithTLS.
func WithTLSFiles(t ClientTLSConfig) ClientOption { return func(o *clientOptions) { o.tlsFiles = &t } }

// WithDialOption passes options to grpc.NewClient.
func WithDialOption(d ...grpc.DialOption) ClientOption {
	return func(o *clientOptions) { o.dialOpts = append(o.dialOpts, d...) }
}

// Dial returns a client connection to target ("127.0.0.1:9090", "dns:///svc:9090")
// whose calls run the client chain, carry the caller's deadline (grpc sends it
// as grpc-timeout) and return *errors.Error for failed calls. It does not
// connect until the first call, like grpc.NewClient.
func Dial(target string, opts ...ClientOption) (*grpc.ClientConn, error) {
	o := clientOptions{}
	for _, f := range opts {
		f(&o)
	}
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	if o.tlsFiles != nil {
		tc, err := tlsconf.NewClient("grpc client", o.tlsFiles.files(), tlsconf.Options{NextProtos: []string{"h2"}})
		if err != nil {
			return nil, err
		}
		creds = &filesCreds{files: tc}
	}
	chain := middleware.Chain(o.mws...)(func(ctx context.Context, req any) (any, error) {
		tr, _ := transport.FromClientContext(ctx)
		t := tr.(*Transport)
		if len(t.request) > 0 {
			// appended, not joined: grpc-go merges the pairs when it sends,
			// without copying the caller's metadata on every call
			kv := make([]string, 0, 2*len(t.request))
			for k, vs := range t.request {
				for _, v := range vs {
					kv = append(kv, k, v)
				}
			}
			ctx = metadata.AppendToOutgoingContext(ctx, kv...)
		}
		return t.next(ctx, req)
	})
	c := &clientInterceptor{target: target, chain: chain, idempotent: o.idempotent}
	if o.discovery != nil {
		o.discovery.health = o.health
		o.discovery.onSelector = o.onSelector
		o.discovery.logger = o.logger
		if o.logger == nil {
			o.discovery.logger = slog.Default()
		}
		o.dialOpts = append([]grpc.DialOption{
			grpc.WithResolvers(o.discovery),
			grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"` + balancerName + `":{}}]}`),
		}, o.dialOpts...)
	}
	dopts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithChainUnaryInterceptor(c.unary),
		grpc.WithChainStreamInterceptor(c.stream),
	}, o.dialOpts...)
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("grpc client: target %q: %w", target, err)
	}
	return conn, nil
}

type clientInterceptor struct {
	target     string
	chain      middleware.Handler
	idempotent map[string]bool
	// declared caches what the proto registry says of each method called.
	declared sync.Map // full method → bool
}

// isIdempotent says whether method may be repeated: listed by the client,
// or declared so in its proto definition (idempotency_level).
func (c *clientInterceptor) isIdempotent(method string) bool {
	if c.idempotent[method] {
		return true
	}
	if v, ok := c.declared.Load(method); ok {
		return v.(bool)
	}
	ok := false
	name := strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", ".")
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name)); err == nil {
		if md, isMethod := d.(protoreflect.MethodDescriptor); isMethod {
			if opts, _ := md.Options().(*descriptorpb.MethodOptions); opts != nil {
				lvl := opts.GetIdempotencyLevel()
				ok = lvl == descriptorpb.MethodOptions_IDEMPOTENT || lvl == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
			}
		}
	}
	c.declared.Store(method, ok)
	return ok
}

func (c *clientInterceptor) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	t := &Transport{endpoint: c.target, operation: method, request: metadata.MD{}, reply: metadata.MD{}, idempotent: c.isIdempotent(method)}
	t.next = func(ctx context.Context, req any) (any, error) {
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&t.reply))...)
		return reply, FromStatus(err)
	}
	_, err := c.chain(transport.NewClientContext(ctx, t), req)
	return err
}

func (c *clientInterceptor) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	t := &Transport{endpoint: c.target, operation: method, request: metadata.MD{}, reply: metadata.MD{}}
	t.next = func(ctx context.Context, _ any) (any, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, FromStatus(err)
		}
		return &clientStream{ClientStream: cs}, nil
	}
	cs, err := c.chain(transport.NewClientContext(ctx, t), nil)
	if err != nil {
		return nil, err
	}
	return cs.(grpc.ClientStream), nil
}

// clientStream turns statuses from a stream into *errors.Error too.
type clientStream struct{ grpc.ClientStream }

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return FromStatus(err)
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return FromStatus(err)
}

// filesCreds are TLS credentials made again when the files change: each
// handshake uses those of the files as they are then.
type filesCreds struct {
	files *tlsconf.Client

	mu    sync.Mutex
	cfg   *tls.Config // what creds were made from
	creds credentials.TransportCredentials
}

var _ credentials.TransportCredentials = (*filesCreds)(nil)

func (f *filesCreds) current() credentials.TransportCredentials {
	cfg := f.files.Config()
	f.mu.Lock()
	defer f.mu.Unlock()
	if cfg != f.cfg {
		f.cfg, f.creds = cfg, credentials.NewTLS(cfg)
	}
	return f.creds
}

func (f *filesCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return f.current().ClientHandshake(ctx, authority, raw)
}

func (f *filesCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, fmt.Errorf("grpc client: WithTLSFiles credentials are for dialling")
}

func (f *filesCreds) Info() credentials.ProtocolInfo { return f.current().Info() }

func (f *filesCreds) Clone() credentials.TransportCredentials { return &filesCreds{files: f.files} }

// OverrideServerName is deprecated in grpc-go; ClientTLSConfig.ServerName does it.
func (f *filesCreds) OverrideServerName(string) error { return nil }
