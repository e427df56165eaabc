package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/goxkit/gox/internal/option"
)

// Config configures the NATS backend. URL, Name, DialTimeout and
// ReconnectWait are Open's, for the connection it dials; the rest tunes the
// backend, whichever way it got its connection (WithConfig).
type Config struct {
	// URL is the server, or a comma-separated list of servers.
	URL string `yaml:"url"`
	// Name names this connection to the server.
	Name string `yaml:"name"`
	// DeadLetterSuffix names a topic's dead-letter subject (default ".dlq").
	DeadLetterSuffix string `yaml:"dead_letter_suffix"`
	// MaxBytes refuses larger message bodies (default 1 MiB, the server's
	// default max_payload).
	MaxBytes int `yaml:"max_bytes"`
	// Visibility is the consumers' ack wait: a message held by a consumer
	// that died is delivered again after it (default 30 s).
	Visibility time.Duration `yaml:"visibility"`
	// MaxAge is how long a stream gox creates keeps messages (default 7
	// days); dead letters do not expire.
	MaxAge time.Duration `yaml:"max_age"`
	// Prefetch is how many messages a subscription pulls ahead of its
	// handlers (default 32); their ack wait runs while they wait.
	Prefetch int `yaml:"prefetch"`
	// Replicas of the streams gox creates (default 1).
	Replicas int `yaml:"replicas"`
	// PublishTimeout bounds a Publish waiting for the stream's ack (default
	// 5 s), reconnection included.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// DialTimeout bounds connecting at start (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReconnectWait is the pause between reconnection attempts (default
	// 500 ms); the connection retries for ever.
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
}

// DefaultConfig is a local server on 4222.
func DefaultConfig() Config {
	return Config{URL: nats.DefaultURL, DeadLetterSuffix: ".dlq", MaxBytes: 1 << 20, Visibility: 30 * time.Second,
		MaxAge: 7 * 24 * time.Hour, Prefetch: 32, Replicas: 1, PublishTimeout: 5 * time.Second, DialTimeout: 5 * time.Second,
		ReconnectWait: 500 * time.Millisecond}
}

func (c Config) validate() error {
	if c.DeadLetterSuffix == "" {
		return errors.New("nats: dead_letter_suffix is empty")
	}
	if c.MaxBytes <= 0 || c.Visibility <= 0 || c.Prefetch <= 0 || c.MaxAge < 0 || c.Replicas <= 0 || c.PublishTimeout <= 0 ||
		c.DialTimeout <= 0 || c.ReconnectWait <= 0 {
		return errors.New("nats: max_bytes, visibility, prefetch, replicas, publish_timeout, dial_timeout and reconnect_wait must be positive, max_age not negative")
	}
	return nil
}

// Option configures New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
	nopts  []nats.Option
	owns   bool // Close closes the connection: Open dialled it
}

// WithConfig tunes the backend with c (default DefaultConfig()); New leaves
// out the fields that only Open dials with.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger logs disconnections and reconnections of the connection Open
// dials to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithNATSOptions adds nats.go options to the connection Open dials:
// credentials (nats.UserCredentials), TLS (nats.ClientTLSConfig), handlers.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(o *options) { o.nopts = append(o.nopts, opts...) }
}

// Open connects to the server of c, reconnecting for ever after that, and
// checks that JetStream answers (the error names the server); then it
// returns New on that connection, tuned by c. Close closes the connection.
func Open(ctx context.Context, c Config, opts ...Option) (*Broker, error) {
	if strings.TrimSpace(c.URL) == "" {
		return nil, errors.New("nats: url is empty")
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := option.Apply(options{logger: slog.Default()}, opts)
	nopts := []nats.Option{nats.Timeout(c.DialTimeout), nats.MaxReconnects(-1), nats.ReconnectWait(c.ReconnectWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.logger.Warn("nats disconnected; reconnecting", "url", c.URL, "error", err.Error())
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { o.logger.Info("nats reconnected", "url", nc.ConnectedUrl()) })}
	if c.Name != "" {
		nopts = append(nopts, nats.Name(c.Name))
	}
	nc, err := nats.Connect(c.URL, append(nopts, o.nopts...)...)
	if err != nil {
		return nil, fmt.Errorf("nats: server %s unreachable: %w", c.URL, err)
	}
	b, err := New(nc, append([]Option{WithConfig(c)}, append(opts, func(o *options) { o.owns = true })...)...)
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, c.DialTimeout)
		defer cancel()
		if _, aerr := b.js.AccountInfo(actx); aerr != nil {
			err = fmt.Errorf("nats: JetStream at %s does not answer (is the server started with -js?): %w", c.URL, aerr)
		}
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}
