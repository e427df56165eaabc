package consul

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/internal/option"
)

// Config is the Consul registry's configuration. Address, Scheme, Token and
// Datacenter are Open's, for the client it makes (New names Address in
// errors when it is set); the rest tunes the registry, whichever way it got
// its client (WithConfig).
type Config struct {
	// Address of the Consul agent's HTTP API (default 127.0.0.1:8500, or
	// CONSUL_HTTP_ADDR when set).
	Address string `yaml:"address"`
	// Scheme is http or https (default http).
	Scheme string `yaml:"scheme"`
	// Token is the ACL token, if ACLs are enabled.
	Token string `yaml:"token"`
	// Datacenter to register in and discover from (default: the agent's).
	Datacenter string `yaml:"datacenter"`
	// Check is how Consul decides an instance is healthy: "ttl" (default),
	// "http" or "grpc" (see the package doc).
	Check string `yaml:"check"`
	// CheckTTL is the TTL of a "ttl" check (default 10 s, at least 1 s).
	CheckTTL time.Duration `yaml:"check_ttl"`
	// CheckInterval is how often the agent probes an "http" or "grpc" check
	// (default 10 s); each probe times out after half of it.
	CheckInterval time.Duration `yaml:"check_interval"`
	// HTTPCheckPath is the path an "http" check requests (default /readyz).
	HTTPCheckPath string `yaml:"http_check_path"`
	// DeregisterCriticalAfter removes an instance whose check has been
	// failing this long (default 1 m, Consul's minimum).
	DeregisterCriticalAfter time.Duration `yaml:"deregister_critical_after"`
	// WaitTime bounds one blocking query of a watch (default 1 m).
	WaitTime time.Duration `yaml:"wait_time"`
}

// DefaultConfig is the configuration whose zero values New fills in, spelt
// out (with the agent at 127.0.0.1:8500).
func DefaultConfig() Config {
	return Config{Address: "127.0.0.1:8500", Scheme: "http", Check: "ttl", CheckTTL: 10 * time.Second,
		CheckInterval: 10 * time.Second, HTTPCheckPath: "/readyz", DeregisterCriticalAfter: time.Minute, WaitTime: time.Minute}
}

// fill gives zero fields their defaults and checks the rest.
func (c *Config) fill() error {
	if c.Check == "" {
		c.Check = "ttl"
	}
	switch c.Check {
	case "ttl", "http", "grpc":
	default:
		return fmt.Errorf("consul registry: check %q: want ttl, http or grpc", c.Check)
	}
	if c.CheckTTL == 0 {
		c.CheckTTL = 10 * time.Second
	}
	if c.CheckTTL < time.Second {
		return fmt.Errorf("consul registry: check_ttl %v is below the 1s minimum", c.CheckTTL)
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 10 * time.Second
	}
	if c.HTTPCheckPath == "" {
		c.HTTPCheckPath = "/readyz"
	}
	if c.DeregisterCriticalAfter <= 0 {
		c.DeregisterCriticalAfter = time.Minute
	}
	if c.WaitTime <= 0 {
		c.WaitTime = time.Minute
	}
	return nil
}

// Option tunes New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
	idle   func()
}

// WithConfig tunes the registry with c (default DefaultConfig(); zero
// fields take their defaults); New leaves out the fields that only Open
// connects with.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger is where the registry logs re-registrations and malformed
// services (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a registry on client, the caller's API client for the local
// agent: Close leaves its connections alone. It does not connect: an
// unreachable agent is an error of the first Register or GetService, which
// registry.Keeper turns into a degraded or a failed start.
func New(client *api.Client, opts ...Option) (*Registry, error) {
	if client == nil {
		return nil, errors.New("consul registry: New: client is nil")
	}
	o := option.Apply(options{c: Config{}, logger: slog.Default()}, opts)
	if err := o.c.fill(); err != nil {
		return nil, err
	}
	agent := o.c.Address
	if agent == "" {
		agent = "(the client's agent)"
	}
	r := &Registry{cfg: o.c, cli: client, agent: agent, idle: o.idle, logger: o.logger, local: map[string]*entry{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Open makes an API client for the agent at c.Address (default
// 127.0.0.1:8500, or CONSUL_HTTP_ADDR) and returns New on it, tuned by c;
// Close closes its idle connections.
func Open(c Config, opts ...Option) (*Registry, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	ac := api.DefaultConfig()
	if c.Address != "" {
		ac.Address = c.Address
	}
	if c.Scheme != "" {
		ac.Scheme = c.Scheme
	}
	if c.Token != "" {
		ac.Token = c.Token
	}
	ac.Datacenter = c.Datacenter
	cli, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("consul registry: client for %s: %w", ac.Address, err)
	}
	c.Address = ac.Address
	return New(cli, append([]Option{WithConfig(c)}, append(opts, func(o *options) { o.idle = ac.Transport.CloseIdleConnections })...)...)
}
