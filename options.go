package gox

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/transport"
)

// Hook runs at a point of the App's life. An error from a start hook stops the
// App; errors from stop hooks are logged and returned from Run.
type Hook func(ctx context.Context) error

type resource struct {
	name  string
	close func(ctx context.Context) error
}

type options struct {
	id, name, version string
	metadata          map[string]string
	servers           []transport.Server
	registrar         registry.Registrar
	registrarTimeout  time.Duration
	health            *health.Health
	logger            *slog.Logger
	stopTimeout       time.Duration
	stopDelay         time.Duration
	signals           []os.Signal
	beforeStart       []Hook
	afterStart        []Hook
	beforeStop        []Hook
	afterStop         []Hook
	resources         []resource
}

// Option configures an App.
type Option func(*options)

// WithID sets the instance id (default: host name plus a random suffix).
func WithID(id string) Option { return func(o *options) { o.id = id } }

// WithName sets the service name used for registration and logs.
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithVersion sets the service version.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithMetadata sets instance metadata for the registry.
func WithMetadata(md map[string]string) Option { return func(o *options) { o.metadata = md } }

// WithServer adds servers; they start concurrently and stop concurrently.
func WithServer(s ...transport.Server) Option {
	return func(o *options) { o.servers = append(o.servers, s...) }
}

// WithRegistrar registers the instance after start and deregisters it first on stop.
func WithRegistrar(r registry.Registrar) Option { return func(o *options) { o.registrar = r } }

// WithRegistrarTimeout bounds each Register and Deregister call (default 10s).
func WithRegistrarTimeout(d time.Duration) Option { return func(o *options) { o.registrarTimeout = d } }

// WithHealth sets the readiness the App turns false when it begins to stop;
// give the same Health to the servers so /readyz and grpc health follow.
func WithHealth(h *health.Health) Option { return func(o *options) { o.health = h } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithStopTimeout is the grace period for draining in-flight work (default 30s).
func WithStopTimeout(d time.Duration) Option { return func(o *options) { o.stopTimeout = d } }

// WithStopDelay waits this long after readiness turns false before servers stop
// accepting, so load balancers (a Kubernetes Service, say) stop sending new
// traffic first (default 0).
func WithStopDelay(d time.Duration) Option { return func(o *options) { o.stopDelay = d } }

// WithSignals sets the signals that stop the App (default SIGINT, SIGTERM). A
// second one during the stop forces it.
func WithSignals(sig ...os.Signal) Option { return func(o *options) { o.signals = sig } }

// WithBeforeStart adds a hook run before servers start.
func WithBeforeStart(h Hook) Option {
	return func(o *options) { o.beforeStart = append(o.beforeStart, h) }
}

// WithAfterStart adds a hook run once every server listens, before registration.
func WithAfterStart(h Hook) Option {
	return func(o *options) { o.afterStart = append(o.afterStart, h) }
}

// WithBeforeStop adds a hook run after deregistration, before servers stop.
func WithBeforeStop(h Hook) Option {
	return func(o *options) { o.beforeStop = append(o.beforeStop, h) }
}

// WithAfterStop adds a hook run after servers stopped, before resources close.
func WithAfterStop(h Hook) Option { return func(o *options) { o.afterStop = append(o.afterStop, h) } }

// WithResource registers something to close when the App stops (a database,
// a log file, a tracer provider). Resources close in reverse order of
// registration: register them in the order they were opened.
func WithResource(name string, closeFn func(ctx context.Context) error) Option {
	return func(o *options) { o.resources = append(o.resources, resource{name, closeFn}) }
}

func defaults() options {
	return options{
		logger:           slog.Default(),
		stopTimeout:      30 * time.Second,
		registrarTimeout: 10 * time.Second,
		signals:          []os.Signal{syscall.SIGINT, syscall.SIGTERM},
	}
}
