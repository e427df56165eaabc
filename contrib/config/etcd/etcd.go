// Package etcd is a gox config.Source reading a YAML or JSON document from
// one etcd v3 key and watching it. Load layers it under the environment and
// the config file (config.WithSource); config.SourceWatcher reloads the
// service when the key changes. It does not write keys, and it is not the
// registry (contrib/registry/etcd), though both use the same client.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"github.com/goxkit/gox/config"
)

// Config is the source's configuration. Endpoints, Username and Password
// are Open's, for the client it makes.
type Config struct {
	// Endpoints are the etcd members, host:port or URLs (required by Open).
	Endpoints []string `yaml:"endpoints"`
	// Key holding the document, such as "/config/shop" (required).
	Key string `yaml:"key"`
	// Timeout bounds connecting and one read (default 5 s).
	Timeout time.Duration `yaml:"timeout"`
	// Username and Password authenticate when etcd has auth enabled.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

func (c *Config) fill() error {
	if c.Key == "" {
		return errors.New("etcd config source: key is empty")
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	return nil
}

// Source is the document under one etcd key.
type Source struct {
	cfg  Config
	cli  *clientv3.Client
	owns bool
}

var _ config.Source = (*Source)(nil)

// New returns the source of c.Key on client, the caller's: Close leaves it
// open. The client connects lazily: an unreachable etcd is an error of Read.
func New(client *clientv3.Client, c Config) (*Source, error) {
	if client == nil {
		return nil, errors.New("etcd config source: New: client is nil")
	}
	if err := c.fill(); err != nil {
		return nil, err
	}
	return &Source{cfg: c, cli: client}, nil
}

// Open makes an etcd client for c.Endpoints and returns New on it; Close
// closes the client. The client's own log is silenced: its retries while
// etcd is away would flood the service's log, and SourceWatcher reports the
// outage itself.
func Open(c Config) (*Source, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	if len(c.Endpoints) == 0 {
		return nil, errors.New("etcd config source: endpoints is empty")
	}
	for _, e := range c.Endpoints {
		if strings.TrimSpace(e) == "" {
			return nil, fmt.Errorf("etcd config source: endpoints %q has an empty entry", c.Endpoints)
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.Timeout,
		Username: c.Username, Password: c.Password, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("etcd config source: client for %v: %w", c.Endpoints, err)
	}
	s, _ := New(cli, c) // c is filled: New cannot fail
	s.owns = true
	return s, nil
}

// String names the store and the key: etcd key "/config/shop".
func (s *Source) String() string { return fmt.Sprintf("etcd key %q", s.cfg.Key) }

// Read returns the document. A missing key is an error; one etcd could not
// answer wraps config.ErrUnreachable.
func (s *Source) Read(ctx context.Context) ([]byte, error) {
	doc, _, err := s.get(ctx)
	return doc, err
}

func (s *Source) get(ctx context.Context) ([]byte, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.cfg.Key)
	if err != nil {
		return nil, 0, s.classify(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, resp.Header.Revision, fmt.Errorf("no such key at %v", s.cli.Endpoints())
	}
	return resp.Kvs[0].Value, resp.Header.Revision, nil
}

// classify wraps config.ErrUnreachable around every error but a refusal
// (authentication, permission): those are the caller's to fix.
func (s *Source) classify(err error) error {
	switch status.Code(err) {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument:
		return fmt.Errorf("reading at %v: %w", s.cli.Endpoints(), err)
	}
	if errors.Is(err, rpctypes.ErrPermissionDenied) || errors.Is(err, rpctypes.ErrAuthFailed) {
		return fmt.Errorf("reading at %v: %w", s.cli.Endpoints(), err)
	}
	return fmt.Errorf("reading at %v: %w (%w)", s.cli.Endpoints(), config.ErrUnreachable, err)
}

// Watch follows the key until ctx ends: it reads the key's revision, calls
// changed, then watches from the next revision, calling changed on every
// event. It returns an error wrapping config.ErrUnreachable when the read
// fails, the watch is cancelled (a compaction, a lost leader) or the
// client's connection is lost: etcd may come back empty or restored, and a
// fresh read is the only safe resumption.
func (s *Source) Watch(ctx context.Context, changed func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, rev, err := s.get(ctx)
	var st interface{ GRPCStatus() *status.Status }
	if err != nil && (errors.Is(err, config.ErrUnreachable) || errors.As(err, &st)) {
		return fmt.Errorf("watch: %w", err)
	} // a missing key is watched too: it may be written
	lost := s.connectionLost(ctx)
	changed()
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), s.cfg.Key, clientv3.WithRev(rev+1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-lost:
			return fmt.Errorf("watch at %v: connection lost: %w", s.cli.Endpoints(), config.ErrUnreachable)
		case resp, ok := <-wch:
			if ctx.Err() != nil {
				return nil
			}
			if !ok || resp.Canceled || resp.Err() != nil {
				return fmt.Errorf("watch at %v: %w (%v)", s.cli.Endpoints(), config.ErrUnreachable, resp.Err())
			}
			if len(resp.Events) > 0 {
				changed()
			}
		}
	}
}

// connectionLost closes its channel when the client's connection leaves
// the ready state, or never if ctx ends first.
func (s *Source) connectionLost(ctx context.Context) <-chan struct{} {
	lost := make(chan struct{})
	conn := s.cli.ActiveConnection()
	go func() {
		for {
			st := conn.GetState()
			if st == connectivity.TransientFailure || st == connectivity.Shutdown || st == connectivity.Idle {
				close(lost)
				return
			}
			if !conn.WaitForStateChange(ctx, st) {
				return
			}
		}
	}()
	return lost
}

// Close closes the client Open made.
func (s *Source) Close() error {
	if s.owns {
		return s.cli.Close()
	}
	return nil
}
