// Package consul is a gox config.Source reading a YAML or JSON document
// from one key of Consul's KV store and watching it with blocking queries.
// Load layers it under the environment and the config file
// (config.WithSource); config.SourceWatcher reloads the service when the
// key changes. It does not write keys, and it is not the registry
// (contrib/registry/consul), though both use the same client.
package consul

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/config"
)

// Config is the source's configuration. Address, Scheme, Token and
// Datacenter are Open's, for the client it makes.
type Config struct {
	// Address of the Consul agent's HTTP API (default 127.0.0.1:8500, or
	// CONSUL_HTTP_ADDR when set).
	Address string `yaml:"address"`
	// Scheme is http or https (default http).
	Scheme string `yaml:"scheme"`
	// Token is the ACL token, if ACLs are enabled.
	Token string `yaml:"token"`
	// Datacenter to read from (default: the agent's).
	Datacenter string `yaml:"datacenter"`
	// Key holding the document, such as "config/shop" (required).
	Key string `yaml:"key"`
	// Timeout bounds one read (default 5 s).
	Timeout time.Duration `yaml:"timeout"`
	// WaitTime bounds one blocking query of a watch (default 1 m).
	WaitTime time.Duration `yaml:"wait_time"`
}

func (c *Config) fill() error {
	c.Key = strings.TrimPrefix(c.Key, "/")
	if c.Key == "" {
		return errors.New("consul config source: key is empty")
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.WaitTime <= 0 {
		c.WaitTime = time.Minute
	}
	return nil
}

// Source is the document under one Consul key.
type Source struct {
	cfg   Config
	cli   *api.Client
	agent string
	idle  func()
}

var _ config.Source = (*Source)(nil)

// New returns the source of c.Key on client, the caller's: Close leaves it
// open. It does not connect; c.Address, when set, names the agent in errors.
func New(client *api.Client, c Config) (*Source, error) {
	if client == nil {
		return nil, errors.New("consul config source: New: client is nil")
	}
	if err := c.fill(); err != nil {
		return nil, err
	}
	agent := c.Address
	if agent == "" {
		agent = "(the client's agent)"
	}
	return &Source{cfg: c, cli: client, agent: agent, idle: func() {}}, nil
}

// Open makes an API client for the agent at c.Address and returns New on
// it; Close closes its idle connections.
func Open(c Config) (*Source, error) {
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
		return nil, fmt.Errorf("consul config source: client for %s: %w", ac.Address, err)
	}
	c.Address = ac.Address
	s, err := New(cli, c)
	if err != nil {
		return nil, err
	}
	s.idle = ac.Transport.CloseIdleConnections
	return s, nil
}

// String names the store and the key: consul key "config/shop".
func (s *Source) String() string { return fmt.Sprintf("consul key %q", s.cfg.Key) }

// Read returns the document. A missing key is an error; one the agent
// could not answer wraps config.ErrUnreachable.
func (s *Source) Read(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	pair, _, err := s.get(ctx, 0)
	if err != nil {
		return nil, err
	}
	if pair == nil {
		return nil, fmt.Errorf("no such key at %s", s.agent)
	}
	return pair.Value, nil
}

func (s *Source) get(ctx context.Context, index uint64) (*api.KVPair, *api.QueryMeta, error) {
	q := (&api.QueryOptions{WaitIndex: index, WaitTime: s.cfg.WaitTime}).WithContext(ctx)
	pair, meta, err := s.cli.KV().Get(s.cfg.Key, q)
	if err != nil {
		return nil, nil, s.classify(err)
	}
	return pair, meta, nil
}

// classify wraps config.ErrUnreachable around every error but a refusal
// (ACL token denied, bad request): those are the caller's to fix.
func (s *Source) classify(err error) error {
	var se api.StatusError
	if errors.As(err, &se) && se.Code >= 400 && se.Code < 500 && se.Code != http.StatusTooManyRequests {
		return fmt.Errorf("reading at %s: %w", s.agent, err)
	}
	return fmt.Errorf("reading at %s: %w (%w)", s.agent, config.ErrUnreachable, err)
}

// Watch follows the key with blocking queries until ctx ends, calling
// changed after the first query and whenever Consul's index moves. It
// returns an error wrapping config.ErrUnreachable when a query fails.
func (s *Source) Watch(ctx context.Context, changed func()) error {
	var index uint64
	for {
		qctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTime+s.cfg.Timeout)
		_, meta, err := s.get(qctx, index)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		if index == 0 || meta.LastIndex != index {
			changed()
		}
		index = meta.LastIndex
		if index == 0 { // Consul's rule: an index that went to 0 or backwards restarts the watch
			index = 1
		}
	}
}

// Close closes the idle connections of a client Open made.
func (s *Source) Close() error {
	s.idle()
	return nil
}
