package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/goxkit/gox/internal/option"
)

// Config is the etcd registry's configuration. Endpoints, Username and
// Password are Open's, for the client it makes; the rest tunes the registry,
// whichever way it got its client (WithConfig).
type Config struct {
	// Endpoints are the etcd members, host:port or URLs (required).
	Endpoints []string `yaml:"endpoints"`
	// Prefix is the key prefix (default "/gox/services").
	Prefix string `yaml:"prefix"`
	// TTL is the lease's time to live: how long the keys of a process that
	// died stay visible (default 15 s, at least 2 s). Keepalives go every
	// TTL/3.
	TTL time.Duration `yaml:"ttl"`
	// DialTimeout bounds connecting, and each registry call that has no
	// deadline of its own (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// Username and Password authenticate when etcd has auth enabled.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out, with etcd at 127.0.0.1:2379.
func DefaultConfig() Config {
	return Config{Endpoints: []string{"127.0.0.1:2379"}, Prefix: "/gox/services", TTL: 15 * time.Second, DialTimeout: 5 * time.Second}
}

// fill gives zero fields their defaults and checks the rest.
func (c *Config) fill() error {
	if c.Prefix == "" {
		c.Prefix = "/gox/services"
	}
	c.Prefix = "/" + strings.Trim(c.Prefix, "/")
	if c.TTL == 0 {
		c.TTL = 15 * time.Second
	}
	if c.TTL < 2*time.Second {
		return fmt.Errorf("etcd registry: ttl %v is below the 2s minimum", c.TTL)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	return nil
}

// Option tunes New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
	owns   bool
}

// WithConfig tunes the registry with c (default DefaultConfig(); zero
// fields take their defaults); New leaves out the fields that only Open
// connects with.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger is where the registry logs lost leases, re-registrations and
// malformed keys (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a registry on client, the caller's: Close leaves it open.
// Like grpc, the client connects lazily: an unreachable etcd is not an
// error here but on the first Register or GetService, which
// registry.Keeper turns into a degraded start or a failed one, by config.
func New(client *clientv3.Client, opts ...Option) (*Registry, error) {
	if client == nil {
		return nil, errors.New("etcd registry: New: client is nil")
	}
	o := option.Apply(options{c: DefaultConfig(), logger: slog.Default()}, opts)
	if err := o.c.fill(); err != nil {
		return nil, err
	}
	r := &Registry{cfg: o.c, cli: client, owns: o.owns, logger: o.logger, local: map[string]*lease{}, subs: map[chan struct{}]struct{}{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.followConnection()
	return r, nil
}

// Open makes an etcd client for the endpoints of c and returns New on it,
// tuned by c; Close closes the client.
func Open(c Config, opts ...Option) (*Registry, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	if len(c.Endpoints) == 0 {
		return nil, errors.New("etcd registry: endpoints is empty")
	}
	for _, e := range c.Endpoints {
		if strings.TrimSpace(e) == "" {
			return nil, fmt.Errorf("etcd registry: endpoints %q has an empty entry", c.Endpoints)
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.DialTimeout,
		Username: c.Username, Password: c.Password, Logger: quietZap()})
	if err != nil {
		return nil, fmt.Errorf("etcd registry: client for %v: %w", c.Endpoints, err)
	}
	r, err := New(cli, append([]Option{WithConfig(c)}, append(opts, func(o *options) { o.owns = true })...)...)
	if err != nil {
		_ = cli.Close()
	}
	return r, err
}

// quietZap silences the etcd client's own log: its retries while etcd is
// away would flood the service's log, and the registry reports what matters
// (a lost lease, a re-registration) itself. A client given to New keeps its own logger.
func quietZap() *zap.Logger { return zap.NewNop() }
