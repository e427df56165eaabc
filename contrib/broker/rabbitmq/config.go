package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/goxkit/gox/internal/option"
)

// Config configures the RabbitMQ backend. URL is Open's, for the
// connection it dials; the rest tunes the backend, whichever way it got its
// connection (WithConfig).
type Config struct {
	// URL is the AMQP URL, amqp://user:password@host:5672/vhost.
	URL string `yaml:"url"`
	// Prefix starts every exchange and queue name (default "gox").
	Prefix string `yaml:"prefix"`
	// MaxBytes refuses larger message bodies (default 1 MiB).
	MaxBytes int `yaml:"max_bytes"`
	// Prefetch is how many unacknowledged messages a subscription holds
	// (default 32).
	Prefetch int `yaml:"prefetch"`
	// PublishTimeout bounds a Publish: reconnecting, the broker's confirm
	// (default 5 s).
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// DialTimeout bounds connecting, and connecting again after a loss
	// (default 5 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReconnectWait is the first pause before reconnecting; it doubles up
	// to 10 s (default 200 ms).
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
}

// DefaultConfig is a local broker with the guest account.
func DefaultConfig() Config {
	return Config{URL: "amqp://guest:guest@127.0.0.1:5672/", Prefix: "gox", MaxBytes: 1 << 20, Prefetch: 32,
		PublishTimeout: 5 * time.Second, DialTimeout: 5 * time.Second, ReconnectWait: 200 * time.Millisecond}
}

func (c Config) validate() error {
	if c.Prefix == "" {
		return errors.New("rabbitmq: prefix is empty")
	}
	if c.MaxBytes <= 0 || c.Prefetch <= 0 || c.PublishTimeout <= 0 || c.DialTimeout <= 0 || c.ReconnectWait <= 0 {
		return errors.New("rabbitmq: max_bytes, prefetch, publish_timeout, dial_timeout and reconnect_wait must be positive")
	}
	return nil
}

// Option configures New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
	amqp   amqp.Config
	redial func() (*amqp.Connection, error)
	host   string // the broker, without password, for errors and logs
	owns   bool   // Close closes the first connection: Open dialled it
}

// WithConfig tunes the backend with c (default DefaultConfig()); New leaves
// out the fields that only Open dials with.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger logs connection losses and reconnections to l (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAMQPConfig sets the amqp091 config of the connections Open dials:
// TLS, SASL, heartbeat, client properties. Its Dial is replaced when nil.
func WithAMQPConfig(c amqp.Config) Option { return func(o *options) { o.amqp = c } }

// WithRedial is how the backend connects again after it lost its
// connection, for New (Open dials Config.URL again).
func WithRedial(dial func() (*amqp.Connection, error)) Option {
	return func(o *options) { o.redial = dial }
}

// Open connects to the broker of c (the error names it, never the
// password) and returns New on that connection, tuned by c, dialling c.URL
// again after a loss. Close closes the connections.
func Open(_ context.Context, c Config, opts ...Option) (*Broker, error) {
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return nil, fmt.Errorf("rabbitmq: url: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := option.Apply(options{}, opts)
	if o.amqp.Dial == nil {
		o.amqp.Dial = amqp.DefaultDial(c.DialTimeout)
	}
	host := redact(c.URL)
	dial := func() (*amqp.Connection, error) {
		conn, err := amqp.DialConfig(c.URL, o.amqp)
		if err != nil {
			return nil, fmt.Errorf("rabbitmq: broker %s unreachable: %s", host, strings.ReplaceAll(err.Error(), c.URL, host))
		}
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, err
	}
	b, err := New(conn, append([]Option{WithConfig(c), WithRedial(dial)},
		append(opts, func(o *options) { o.owns, o.host = true, host })...)...)
	if err != nil {
		_ = conn.Close()
	}
	return b, err
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
