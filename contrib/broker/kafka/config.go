package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/goxkit/gox/internal/option"
)

// Config configures the Kafka backend. Brokers, ClientID and
// AutoCreateTopics are Open's, for the producer it dials; the rest tunes the
// backend, whichever way it got its client (WithConfig).
type Config struct {
	// Brokers are the seed brokers, host:port; an entry may be a
	// comma-separated list.
	Brokers []string `yaml:"brokers"`
	// ClientID names this service to the brokers.
	ClientID string `yaml:"client_id"`
	// DeadLetterSuffix names a topic's dead-letter topic (default ".dlq").
	DeadLetterSuffix string `yaml:"dead_letter_suffix"`
	// MaxBytes refuses larger message bodies (default 1 MiB, Kafka's own
	// default message.max.bytes).
	MaxBytes int `yaml:"max_bytes"`
	// Buffer is how many fetched messages a subscription holds — waiting,
	// delayed or being retried — before it stops fetching (default 1000).
	Buffer int `yaml:"buffer"`
	// CommitInterval is how often finished offsets are committed (default
	// 500 ms); they are also committed when partitions move and at stop.
	CommitInterval time.Duration `yaml:"commit_interval"`
	// DeliveryTimeout bounds a Publish while the brokers are unreachable
	// (default 30 s): it then returns an error, the message is not sent.
	DeliveryTimeout time.Duration `yaml:"delivery_timeout"`
	// DialTimeout bounds connecting, and the check at start (default 10 s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// SessionTimeout and HeartbeatInterval are the group's (Kafka's
	// defaults 45 s and 3 s): a member silent for the session timeout loses
	// its partitions; rebalances take up to a heartbeat interval.
	SessionTimeout    time.Duration `yaml:"session_timeout"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// AutoCreateTopics lets producing create a missing topic with the
	// brokers' defaults (when the brokers allow it). Default true.
	AutoCreateTopics bool `yaml:"auto_create_topics"`
}

// DefaultConfig is a local broker on 9092.
func DefaultConfig() Config {
	return Config{Brokers: []string{"127.0.0.1:9092"}, DeadLetterSuffix: ".dlq", MaxBytes: 1 << 20, Buffer: 1000,
		CommitInterval: 500 * time.Millisecond, DeliveryTimeout: 30 * time.Second, DialTimeout: 10 * time.Second,
		SessionTimeout: 45 * time.Second, HeartbeatInterval: 3 * time.Second, AutoCreateTopics: true}
}

// split accepts comma-separated lists inside Brokers entries, as an
// environment variable gives them ("${KAFKA_BROKERS}").
func (c *Config) split() {
	var out []string
	for _, b := range c.Brokers {
		for _, p := range strings.Split(b, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	c.Brokers = out
}

// validateBrokers checks what Open dials.
func (c Config) validateBrokers() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: brokers is empty; set at least one host:port")
	}
	for i, b := range c.Brokers {
		if _, port, ok := strings.Cut(b, ":"); !ok || port == "" {
			return fmt.Errorf("kafka: brokers[%d] %q is not host:port", i, b)
		}
	}
	return nil
}

// validate checks the backend's settings.
func (c Config) validate() error {
	if c.DeadLetterSuffix == "" {
		return errors.New("kafka: dead_letter_suffix is empty")
	}
	if c.MaxBytes <= 0 || c.Buffer <= 0 || c.CommitInterval <= 0 || c.DeliveryTimeout <= 0 || c.DialTimeout <= 0 ||
		c.SessionTimeout <= 0 || c.HeartbeatInterval <= 0 {
		return errors.New("kafka: max_bytes, buffer, commit_interval, delivery_timeout, dial_timeout, session_timeout and heartbeat_interval must be positive")
	}
	return nil
}

// Option configures New and Open.
type Option func(*options)

type options struct {
	c      Config
	logger *slog.Logger
	kopts  []kgo.Opt
	owns   bool      // Close closes the producer: Open dialled it
	base   []kgo.Opt // the options of a consumer group member, before the group's
}

// WithConfig tunes the backend with c (default DefaultConfig()); New leaves
// out the fields that only Open dials with.
func WithConfig(c Config) Option { return func(o *options) { o.c = c } }

// WithLogger logs rebalances and commit failures to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClientOptions adds franz-go options to the clients the backend makes
// — the producer Open dials, and each consumer group member, which starts
// from the options of the client given to New (Open: the brokers, the
// client id and these, without the producer's tuning): TLS
// (kgo.DialTLSConfig), SASL (kgo.SASL), hooks (kgo.WithHooks).
func WithClientOptions(opts ...kgo.Opt) Option {
	return func(o *options) { o.kopts = append(o.kopts, opts...) }
}

// Open dials the brokers of c and checks that they answer within
// DialTimeout (the error names the brokers it tried), then returns New on
// that client, tuned by c; Close closes the client.
func Open(ctx context.Context, c Config, opts ...Option) (*Broker, error) {
	c.split()
	if err := c.validateBrokers(); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	o := option.Apply(options{}, opts)
	conn := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.DialTimeout(c.DialTimeout)}
	if c.ClientID != "" {
		conn = append(conn, kgo.ClientID(c.ClientID))
	}
	conn = append(conn, o.kopts...)
	popts := []kgo.Opt{kgo.RecordDeliveryTimeout(c.DeliveryTimeout), kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(int32(c.MaxBytes + 64<<10))}
	if c.AutoCreateTopics {
		popts = append(popts, kgo.AllowAutoTopicCreation())
	}
	prod, err := dial(ctx, c.DialTimeout, slices.Concat(conn, popts))
	if err != nil {
		return nil, err
	}
	b, err := New(prod, append([]Option{WithConfig(c)}, append(opts, func(o *options) { o.owns, o.base = true, conn })...)...)
	if err != nil {
		prod.Close()
	}
	return b, err
}

// dial makes a client and checks that the brokers answer within timeout.
func dial(ctx context.Context, timeout time.Duration, opts []kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka: brokers %s unreachable: %w", brokersOf(cl), err)
	}
	return cl, nil
}

// brokersOf names the seed brokers of cl, for errors.
func brokersOf(cl *kgo.Client) string {
	seeds, _ := cl.OptValue(kgo.SeedBrokers).([]string)
	return strings.Join(seeds, ",")
}
