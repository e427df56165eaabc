// Package redis is gox's Redis backend: a cache.Store and a lock.Locker over
// go-redis v9's universal client (standalone, sentinel or cluster, chosen by
// the config), with every command traced (OpenTelemetry) and counted (the
// gox_client_* series, kind "redis").
//
//	client, err := redis.NewClient(cfg, redis.WithRecorder(metrics.Client()))
//	store, err := redis.NewStore(client, cfg.Prefix)
//	users := cache.New[User](store)
//	locker := redis.NewLocker(client, cfg.Prefix, cfg.Lock)
package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/goxkit/gox/metrics"
)

// Config selects and tunes the Redis deployment.
type Config struct {
	// Addrs are host:port pairs: one for a standalone server, several for a
	// cluster, or the sentinels when MasterName is set.
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"master_name"`
	Username   string   `yaml:"username"`
	Password   string   `yaml:"password"`
	DB         int      `yaml:"db"`
	// Prefix is put before every key this service writes, and is all that
	// Flush deletes: services can share one Redis. Required.
	Prefix       string        `yaml:"prefix"`
	PoolSize     int           `yaml:"pool_size"` // 0: go-redis's default, 10 per CPU
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	MaxRetries   int           `yaml:"max_retries"` // retries of a failed command; -1 for none
	// RequireAtStart makes NewClient fail when Redis does not answer a PING;
	// otherwise the service starts and commands fail until Redis is back.
	RequireAtStart bool       `yaml:"require_at_start"`
	Lock           LockConfig `yaml:"lock"`
}

// DefaultConfig is a local standalone Redis with short timeouts.
func DefaultConfig() Config {
	return Config{Addrs: []string{"127.0.0.1:6379"}, Prefix: "gox:", DialTimeout: 2 * time.Second,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1, Lock: DefaultLockConfig()}
}

type options struct {
	recorder metrics.Recorder
	tracer   trace.TracerProvider
}

// Option configures NewClient.
type Option func(*options)

// WithRecorder counts commands in r (contrib/prometheus Metrics.Client()).
func WithRecorder(r metrics.Recorder) Option { return func(o *options) { o.recorder = r } }

// WithTracerProvider traces commands with tp instead of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case len(c.Addrs) == 0:
		return errors.New("redis: addrs is empty; give host:port of the server, the cluster nodes or the sentinels")
	case c.Prefix == "":
		return errors.New("redis: prefix is empty; every key needs this service's prefix so that Flush never deletes other services' keys")
	case strings.ContainsAny(c.Prefix, "*?[]\\"):
		return fmt.Errorf("redis: prefix %q contains a glob character (* ? [ ] \\)", c.Prefix)
	}
	for _, a := range c.Addrs {
		if !strings.Contains(a, ":") {
			return fmt.Errorf("redis: address %q is not host:port", a)
		}
	}
	return c.Lock.validate()
}

// NewClient returns a universal client for c with tracing and metrics hooks.
// With RequireAtStart it pings and fails with an error naming the addresses
// (never the password).
func NewClient(c Config, opts ...Option) (goredis.UniversalClient, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := options{tracer: otel.GetTracerProvider()}
	for _, f := range opts {
		f(&o)
	}
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs: c.Addrs, MasterName: c.MasterName, Username: c.Username, Password: c.Password, DB: c.DB,
		PoolSize: c.PoolSize, DialTimeout: c.DialTimeout, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		MaxRetries: c.MaxRetries, ContextTimeoutEnabled: true,
	})
	client.AddHook(newHook(o, strings.Join(c.Addrs, ",")))
	if c.RequireAtStart {
		ctx, cancel := context.WithTimeout(context.Background(), c.DialTimeout+c.ReadTimeout)
		defer cancel()
		if err := client.Ping(ctx).Err(); err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("redis: no answer from %s: %w", strings.Join(c.Addrs, ","), err)
		}
	}
	return client, nil
}
