// Package grpc is gox's gRPC transport on grpc-go: a transport.Server whose
// unary and stream interceptors run the gox middleware chain for all four RPC
// kinds, the standard health service tied to readiness, reflection, keepalive
// and message limits from Config, and errors mapped to statuses with details.
// Dial makes a client connection that runs a client chain and turns statuses
// back into *errors.Error.
package grpc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/internal/clock"
	"github.com/goxkit/gox/internal/listen"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

var (
	_ transport.Server               = (*Server)(nil)
	_ transport.Endpointer           = (*Server)(nil)
	_ grpc.ServiceRegistrar          = (*Server)(nil)
	_ reflection.ServiceInfoProvider = (*Server)(nil)
)

// Server is a gRPC server. Register services before Start.
type Server struct {
	cfg        Config
	srv        *grpc.Server
	mws        []middleware.Middleware
	chain      middleware.Handler
	health     *health.Health
	logger     *slog.Logger
	production bool
	grpcOpts   []grpc.ServerOption

	lis  net.Listener // from WithListener
	bind *listen.Once
}

// Option configures a Server.
type Option func(*Server)

// WithMiddleware sets the middleware chain, outermost first.
func WithMiddleware(m ...middleware.Middleware) Option {
	return func(s *Server) { s.mws = append(s.mws, m...) }
}

// WithHealth answers the health service from h; without it the server reports
// SERVING until it stops.
func WithHealth(h *health.Health) Option { return func(s *Server) { s.health = h } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// WithProduction hides the text of errors that did not come from gox errors.
func WithProduction(p bool) Option { return func(s *Server) { s.production = p } }

// WithListener serves on lis instead of listening on Config.Addr.
func WithListener(lis net.Listener) Option { return func(s *Server) { s.lis = lis } }

// WithServerOption passes options to grpc.NewServer (stats handlers, codecs ...).
func WithServerOption(o ...grpc.ServerOption) Option {
	return func(s *Server) { s.grpcOpts = append(s.grpcOpts, o...) }
}

// NewServer returns a Server; it fails on a Config it cannot honour, naming the field.
func NewServer(c Config, opts ...Option) (*Server, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: c, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	tlsConf, err := c.TLS.server("grpc server on "+c.Addr, s.logger)
	if err != nil {
		return nil, err
	}
	if s.health == nil {
		s.health = health.New(0)
	}
	s.chain = middleware.Chain(s.mws...)(func(ctx context.Context, req any) (any, error) {
		tr, _ := transport.FromServerContext(ctx)
		t := tr.(*Transport)
		if len(t.reply) > 0 {
			_ = grpc.SetHeader(ctx, t.reply)
		}
		reply, err := t.next(ctx, req)
		if gone := t.in.Err(); gone != nil && !alreadySent(err) {
			reply, err = nil, clientGone(gone, err)
		} else if err != nil {
			err = fromHandler(err)
		} else if reply != nil && s.cfg.MaxSendMsgBytes > 0 {
			err = checkReplySize(ctx, reply, s.cfg.MaxSendMsgBytes)
		}
		// start plus the monotonic time since: one clock read, where
		// time.Now takes two (wall and monotonic).
		t.end = t.start.Add(time.Since(t.start))
		return reply, err
	})
	gopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time: c.Keepalive.Time, Timeout: c.Keepalive.Timeout, MaxConnectionIdle: c.Keepalive.MaxConnectionIdle,
			MaxConnectionAge: c.Keepalive.MaxConnectionAge, MaxConnectionAgeGrace: c.Keepalive.MaxConnectionAgeGrace,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: c.Keepalive.MinTime, PermitWithoutStream: c.Keepalive.PermitWithoutStream}),
	}
	gopts = append(gopts, grpc.MaxConcurrentStreams(orDefault(c.MaxConcurrentStreams, DefaultMaxConcurrentStreams)),
		grpc.MaxHeaderListSize(orDefault(c.MaxHeaderListBytes, DefaultMaxHeaderListBytes)))
	if c.InitialWindowBytes > 0 {
		gopts = append(gopts, grpc.InitialWindowSize(c.InitialWindowBytes))
	}
	if c.InitialConnWindowBytes > 0 {
		gopts = append(gopts, grpc.InitialConnWindowSize(c.InitialConnWindowBytes))
	}
	if c.NumStreamWorkers > 0 {
		gopts = append(gopts, grpc.NumStreamWorkers(c.NumStreamWorkers))
	}
	if c.MaxRecvMsgBytes > 0 {
		gopts = append(gopts, grpc.MaxRecvMsgSize(c.MaxRecvMsgBytes))
	}
	if c.MaxSendMsgBytes > 0 {
		gopts = append(gopts, grpc.MaxSendMsgSize(c.MaxSendMsgBytes))
	}
	if tlsConf != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(tlsConf)))
	}
	s.bind = listen.New("grpc", c.Addr, "grpc", nil) // grpc does TLS itself
	if s.lis != nil {
		s.bind.Use(s.lis)
	}
	s.srv = grpc.NewServer(append(gopts, s.grpcOpts...)...)
	healthpb.RegisterHealthServer(s.srv, &healthServer{h: s.health, services: s.serviceNames})
	if c.Reflection {
		reflection.Register(s.srv)
	}
	return s, nil
}

// RegisterService implements grpc.ServiceRegistrar: pass the Server to the
// generated pb.RegisterXServer functions.
func (s *Server) RegisterService(desc *grpc.ServiceDesc, impl any) { s.srv.RegisterService(desc, impl) }

// GetServiceInfo returns the registered services.
func (s *Server) GetServiceInfo() map[string]grpc.ServiceInfo { return s.srv.GetServiceInfo() }

// GRPC returns the underlying *grpc.Server.
func (s *Server) GRPC() *grpc.Server { return s.srv }

func (s *Server) serviceNames() map[string]grpc.ServiceInfo { return s.srv.GetServiceInfo() }

// Endpoint binds the listener if needed and returns grpc://host:port.
func (s *Server) Endpoint() (*url.URL, error) {
	_, u, err := s.bind.Bind()
	return u, err
}

// Addr returns the bound address, or "" before Endpoint or Start.
func (s *Server) Addr() string { return s.bind.Addr() }

// Start serves until Stop.
func (s *Server) Start(context.Context) error {
	lis, u, err := s.bind.Bind()
	if err != nil {
		return err
	}
	s.logger.Info("grpc server listening", "addr", lis.Addr().String(), "url", u.String())
	if err := s.srv.Serve(lis); err != nil {
		return fmt.Errorf("grpc server on %s: %w", lis.Addr(), err)
	}
	return nil
}

// Stop stops accepting calls and waits for running ones until ctx is done,
// then cancels them.
func (s *Server) Stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.srv.Stop()
		<-done
		return fmt.Errorf("grpc server: drain: %w", ctx.Err())
	}
}

// serverState holds a call's transport and the context node carrying it in
// one allocation.
type serverState struct {
	transportx.ServerContext
	t Transport
}

func (s *Server) newState(ctx context.Context, method string) *serverState {
	st := &serverState{t: Transport{operation: method, endpoint: s.bind.Host(), in: ctx, start: clock.Now()}}
	st.ServerContext = transportx.ServerContext{Context: ctx, Transporter: &st.t}
	return st
}

func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	st := s.newState(ctx, info.FullMethod)
	st.t.next = middleware.Handler(handler)
	reply, err := s.chain(&st.ServerContext, req)
	st.t.releaseReply()
	if err != nil {
		return nil, ToStatus(err, s.production).Err()
	}
	return reply, nil
}

func (s *Server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	st := s.newState(ss.Context(), info.FullMethod)
	st.t.streaming = true
	st.t.next = func(ctx context.Context, _ any) (any, error) {
		w := &serverStream{ServerStream: ss, ctx: ctx, checks: st.t.recvChecks, production: s.production}
		err := handler(srv, w)
		if refused := w.refused.Load(); refused != nil {
			return nil, refused.err
		}
		if failed := w.failed.Load(); failed != nil {
			return nil, sentStatus(*failed)
		}
		return nil, err
	}
	_, err := s.chain(&st.ServerContext, nil)
	st.t.releaseReply()
	if err != nil {
		return ToStatus(err, s.production).Err()
	}
	return nil
}

// serverStream gives the handler the context the middleware chain built,
// and keeps the first error of SendMsg or RecvMsg: grpc-go answers the
// client with its status at once (an oversize message: ResourceExhausted),
// so that is the call's outcome whatever the handler returns after. It runs
// the checks middleware gave the call (Transport.CheckRecv) on each message
// received; the first message refused ends the call with the check's error.
type serverStream struct {
	grpc.ServerStream
	ctx        context.Context
	checks     []func(msg any) error
	production bool
	failed     atomic.Pointer[error]
	refused    atomic.Pointer[statusError] // a check's error, as the handler sees it
}

func (w *serverStream) Context() context.Context { return w.ctx }

func (w *serverStream) SendMsg(m any) error {
	if r := w.refused.Load(); r != nil {
		return r // the call has failed: nothing more goes out
	}
	return w.keep(w.ServerStream.SendMsg(m))
}

func (w *serverStream) RecvMsg(m any) error {
	if r := w.refused.Load(); r != nil {
		return r
	}
	if err := w.keep(w.ServerStream.RecvMsg(m)); err != nil || len(w.checks) == 0 {
		return err
	}
	for _, check := range w.checks {
		if err := check(m); err != nil {
			r := &statusError{e: errors.FromError(err), st: ToStatus(err, w.production), err: err}
			w.refused.CompareAndSwap(nil, r)
			return w.refused.Load()
		}
	}
	return nil
}

func (w *serverStream) keep(err error) error {
	if err != nil && err != io.EOF {
		w.failed.CompareAndSwap(nil, &err)
	}
	return err
}

// checkReplySize returns the status grpc-go will answer with when it sends
// reply, a unary handler's, after the chain has returned: ResourceExhausted
// when the reply is over limit bytes on the wire. Checked inside the chain, so
// that the access log and metrics record what the client gets, not the
// handler's success. A reply is sized once (proto.Size); only one close to
// the limit on a compressed call is compressed here to know its wire size.
// Replies that are not protobuf messages are left to grpc-go.
func checkReplySize(ctx context.Context, reply any, limit int) error {
	m, ok := reply.(proto.Message)
	if !ok {
		return nil
	}
	size := proto.Size(m)
	comp := ""
	if size > limit-limit/64-64 { // a compressor may add a little to what it cannot shrink
		if sc, ok := grpc.ServerTransportStreamFromContext(ctx).(interface{ SendCompress() string }); ok {
			comp = sc.SendCompress()
		}
	}
	if comp != "" && comp != encoding.Identity {
		c := encoding.GetCompressor(comp)
		if c == nil {
			return nil // one grpc-go knows and gox cannot see: grpc-go decides
		}
		b, err := proto.Marshal(m)
		if err != nil {
			return nil // grpc-go fails the call with its own error
		}
		var n countWriter
		w, err := c.Compress(&n)
		if err != nil {
			return nil
		}
		_, _ = w.Write(b)
		_ = w.Close()
		size = int(n)
	}
	if size > limit {
		// grpc-go's own status and text for this
		return fromHandler(status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", size, limit))
	}
	return nil
}

// countWriter counts what is written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
