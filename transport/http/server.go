// Package http is gox's HTTP transport on gin: a transport.Server with timeouts
// and body limits from Config, routes and route groups whose handlers return
// errors and run the gox middleware chain, one error format for every failure
// (404 and 405 included), and the built-in routes /ping, /healthz, /readyz,
// /metrics and, when enabled, /debug/pprof. It is the only gox package that
// imports gin, and it leaves gin's process-wide settings (its mode, its debug
// output) to the application.
package http

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/internal/listen"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

var (
	_ transport.Server     = (*Server)(nil)
	_ transport.Endpointer = (*Server)(nil)
	_ http.Handler         = (*Server)(nil)
)

// Server is an HTTP server. Register routes before Start.
type Server struct {
	*RouteGroup
	cfg        Config
	engine     *gin.Engine
	handler    http.Handler // engine behind the security headers and CORS
	srv        *http.Server
	encoder    ErrorEncoder
	health     *health.Health
	metrics    http.Handler
	logger     *slog.Logger
	production bool
	guard      func(http.Handler) http.Handler // WithManagementGuard's, or nil

	lis  net.Listener // from WithListener
	bind *listen.Once
	date dateCache // the Date header of the current second

	routeTable routeTable // what Routes returns

	// /metrics on a listener of its own (Config.Metrics.Addr), else nil
	metricsSrv  *http.Server
	metricsBind *listen.Once
}

// Option configures a Server.
type Option func(*Server)

// WithMiddleware sets the server-wide middleware chain, outermost first.
func WithMiddleware(m ...middleware.Middleware) Option {
	return func(s *Server) { s.RouteGroup.mws = append(s.RouteGroup.mws, m...) }
}

// WithErrorEncoder replaces the error renderer chosen by Config.ErrorFormat.
func WithErrorEncoder(e ErrorEncoder) Option { return func(s *Server) { s.encoder = e } }

// WithHealth serves /readyz from h; without it /readyz reports ready.
func WithHealth(h *health.Health) Option { return func(s *Server) { s.health = h } }

// WithMetricsHandler serves h at /metrics (contrib/prometheus.Handler, say),
// where and to whom Config.Metrics says.
func WithMetricsHandler(h http.Handler) Option { return func(s *Server) { s.metrics = h } }

// WithLogger sets the logger for server errors.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// WithManagementGuard guards the management routes the server mounts
// itself (pprof) with g instead of pprof.username and password's basic
// auth: g lets a request through to the handler it wraps or answers it
// (401) itself. A service gives all its management pages one login this
// way — basic auth, a bearer token, either — and hands the same guard to
// the pages it mounts (openapi.Options.Guard, its own admin routes).
func WithManagementGuard(g func(http.Handler) http.Handler) Option {
	return func(s *Server) { s.guard = g }
}

// WithProduction hides causes, stacks and foreign error text from clients.
func WithProduction(p bool) Option { return func(s *Server) { s.production = p } }

// WithListener serves on lis instead of listening on Config.Addr (tests, socket activation).
func WithListener(lis net.Listener) Option { return func(s *Server) { s.lis = lis } }

// NewServer returns a Server. It fails on a Config it cannot honour, naming the field.
func NewServer(c Config, opts ...Option) (*Server, error) {
	var enc ErrorEncoder
	switch c.ErrorFormat {
	case "", "envelope":
		enc = EnvelopeEncoder
	case "problem":
		enc = ProblemEncoder
	default:
		return nil, fmt.Errorf("http: error_format %q is not one of envelope, problem", c.ErrorFormat)
	}
	if (c.Metrics.Username == "") != (c.Metrics.Password == "") {
		return nil, fmt.Errorf("http: metrics.username and metrics.password go together (got only one)")
	}
	if err := c.CORS.validate(); err != nil {
		return nil, err
	}
	if err := c.Headers.validate(); err != nil {
		return nil, err
	}
	// gin's mode is process-wide, so it is the application's to set, not
	// gox's: in gin's default debug mode, gin prints a warning and each
	// route to stdout as they are registered, and nothing else changes for
	// gox's routes (GIN_MODE=release or gin.SetMode in main silences it).
	// gin has no per-engine switch for those lines: DebugPrintRouteFunc and
	// DebugPrintFunc are process-wide too.
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.ContextWithFallback = true
	s := &Server{cfg: c, engine: engine, encoder: enc, logger: slog.Default()}
	s.RouteGroup = &RouteGroup{s: s, rg: &engine.RouterGroup}
	for _, o := range opts {
		o(s)
	}
	if c.Pprof.Enabled && s.guard == nil && (c.Pprof.Username == "" || c.Pprof.Password == "") {
		return nil, fmt.Errorf("http: pprof.enabled needs pprof.username and pprof.password (or a management guard)")
	}
	tlsConf, err := c.TLS.server("http server on "+c.Addr, s.logger)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	s.bind = listen.New("http", c.Addr, scheme, tlsConf)
	if s.lis != nil {
		s.bind.Use(s.lis)
	}
	if c.Metrics.Addr != "" {
		if s.metrics == nil {
			return nil, fmt.Errorf("http: metrics.addr %q is set but the server has no metrics handler (WithMetricsHandler)", c.Metrics.Addr)
		}
		s.metricsBind = listen.New("http metrics", c.Metrics.Addr, scheme, tlsConf)
	}
	if c.MaxBodyBytes > 0 {
		engine.Use(func(gc *gin.Context) {
			if gc.Request.Body != http.NoBody {
				gc.Request.Body = http.MaxBytesReader(gc.Writer, gc.Request.Body, c.MaxBodyBytes)
			}
		})
	}
	s.routes()
	s.handler = edge(c, engine)
	s.srv = s.httpServer(s.handler)
	return s, nil
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}

// Use adds gin filters that run before routing and before the middleware
// chain: CORS, gzip and other raw HTTP concerns.
func (s *Server) Use(filters ...gin.HandlerFunc) { s.engine.Use(filters...) }

// Engine returns the gin engine, for what gox does not wrap.
func (s *Server) Engine() *gin.Engine { return s.engine }

// ServeHTTP serves one request; tests call it with httptest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Endpoint binds the listener if it is not bound yet and returns the URL the
// server answers on.
func (s *Server) Endpoint() (*url.URL, error) {
	_, u, err := s.bind.Bind()
	return u, err
}

// Addr returns the bound address, or "" before Endpoint or Start.
func (s *Server) Addr() string { return s.bind.Addr() }

// MetricsEndpoint binds the listener /metrics is served on if it is not
// bound yet and returns the URL of /metrics (on the metrics listener when
// Config.Metrics.Addr is set). It fails when the server has no metrics handler.
func (s *Server) MetricsEndpoint() (*url.URL, error) {
	if s.metrics == nil {
		return nil, fmt.Errorf("http server: no metrics handler (WithMetricsHandler)")
	}
	b := s.bind
	if s.metricsBind != nil {
		b = s.metricsBind
	}
	_, u, err := b.Bind()
	if err != nil {
		return nil, err
	}
	return u.JoinPath(PathMetrics), nil
}

// Start serves until Stop. ctx becomes the base context of every request.
// With /metrics on a listener of its own, both are served, and a failure of
// either stops both and is returned.
func (s *Server) Start(ctx context.Context) error {
	lis, u, err := s.bind.Bind()
	if err != nil {
		return err
	}
	s.srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	if s.metricsSrv == nil {
		s.logger.Info("http server listening", "addr", lis.Addr().String(), "url", u.String())
		return serve(s.srv, lis)
	}
	mlis, mu, err := s.metricsBind.Bind()
	if err != nil {
		_ = lis.Close()
		return err
	}
	s.logger.Info("http server listening", "addr", lis.Addr().String(), "url", u.String(), "metrics", mu.JoinPath(PathMetrics).String())
	metricsDone := make(chan error, 1)
	go func() {
		err := serve(s.metricsSrv, mlis)
		if err != nil {
			_ = s.srv.Close() // the service is not observable: stop, and say why
		}
		metricsDone <- err
	}()
	err = serve(s.srv, lis)
	if err != nil {
		_ = s.metricsSrv.Close()
	}
	return stderrors.Join(err, <-metricsDone)
}

func serve(srv *http.Server, lis net.Listener) error {
	if err := srv.Serve(lis); err != nil && !stderrors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server on %s: %w", lis.Addr(), err)
	}
	return nil
}

// Stop stops accepting connections and waits for in-flight requests until ctx
// is done; then it closes the rest. The metrics listener, if any, stops last,
// so a scrape during the drain still sees the requests finishing.
func (s *Server) Stop(ctx context.Context) error {
	err := shutdown(ctx, s.srv)
	if s.metricsSrv != nil {
		err = stderrors.Join(err, shutdown(ctx, s.metricsSrv))
	}
	return err
}

func shutdown(ctx context.Context, srv *http.Server) error {
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http server: drain: %w", err)
	}
	return nil
}
