// Package dbbroker is a durable broker.Backend on the service's own database
// (SQLite by default, MySQL/MariaDB, PostgreSQL: the program imports the
// xgorm driver sub-package of its database) through xgorm: no broker
// server, nothing lost when a process dies, and a transactional outbox for
// free — Publish writes through xgorm's Conn(ctx), so inside a
// db.Transaction the message is stored if and only if the business write
// commits.
//
// Messages wait in gox_queue_jobs, one row per consumer group. A consumer
// claims a row for a visibility timeout; if it dies before settling, the row
// becomes claimable again when the timeout runs out and is delivered again
// with the next attempt number. Dead letters go to gox_queue_failed, the
// failed-jobs table, with the error that failed them last; Replay (`queue
// retry`) sends them back.
//
// Broker.Collector exports what waits per topic and consumer group
// (gox_queue_backlog, gox_queue_dead_letters) to Prometheus, counted every
// backlog_interval in one statement, for dashboards and for an autoscaler
// (KEDA) to scale consumers on; Broker.Backlog returns the same count.
package dbbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/database/xgorm"
)

// Config tunes the database broker.
type Config struct {
	// Conn is the xgorm connection name (default "default").
	Conn string `yaml:"conn"`
	// Visibility is how long a claimed message is hidden from other
	// consumers; one held by a consumer that died is delivered again after it.
	Visibility time.Duration `yaml:"visibility"`
	// PollInterval is how often an idle consumer looks for new messages.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxBytes refuses larger message bodies.
	MaxBytes int `yaml:"max_bytes"`
	// BacklogInterval is how often the Collector counts the backlog, once
	// it is asked for (see Broker.Collector).
	BacklogInterval time.Duration `yaml:"backlog_interval"`
	// BacklogSeries bounds the topic and group pairs the Collector exports;
	// pairs past it are counted in gox_queue_backlog_overflow.
	BacklogSeries int `yaml:"backlog_series"`
}

// DefaultConfig: the default connection, 30 s visibility, 200 ms polling,
// 1 MiB, the backlog counted every 15 s for at most 1000 topic and group
// pairs.
func DefaultConfig() Config {
	return Config{Conn: xgorm.DefaultName, Visibility: 30 * time.Second, PollInterval: 200 * time.Millisecond, MaxBytes: 1 << 20,
		BacklogInterval: 15 * time.Second, BacklogSeries: 1000}
}

// Broker is the database Backend.
type Broker struct {
	db     *xgorm.DB
	c      Config
	mu     sync.Mutex
	joined map[[2]string]bool
	empty  map[string]bool          // topics whose backlog was found empty
	wake   map[string]chan struct{} // closed when this process publishes to the topic
	closed chan struct{}
	once   sync.Once

	log       *slog.Logger
	now       func() time.Time // the backlog's clock
	tick      ticker           // the Collector's sampling interval
	ctx       context.Context  // canceled by Close
	cancel    context.CancelFunc
	collector *Collector // started by the first Collector call
}

var _ interface {
	broker.Backend
	broker.DeadLetters
} = (*Broker)(nil)

// Option configures New.
type Option func(*Broker)

// WithLogger sets where the Collector logs a failed count or a backlog
// over its bound (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(b *Broker) { b.log = l } }

// New returns a Broker on db. Its tables must exist: run Models through
// db.Migrate (the scaffold's `db migrate` does), or call Migrate.
func New(db *xgorm.DB, c Config, opts ...Option) (*Broker, error) {
	if c.Conn == "" {
		c.Conn = xgorm.DefaultName
	}
	if _, err := db.Get(c.Conn); err != nil {
		return nil, fmt.Errorf("dbbroker: %w", err)
	}
	if c.Visibility <= 0 || c.PollInterval <= 0 || c.MaxBytes <= 0 {
		return nil, fmt.Errorf("dbbroker: visibility (%v), poll_interval (%v) and max_bytes (%d) must be positive", c.Visibility, c.PollInterval, c.MaxBytes)
	}
	if c.BacklogInterval <= 0 || c.BacklogSeries <= 0 {
		return nil, fmt.Errorf("dbbroker: backlog_interval (%v) and backlog_series (%d) must be positive", c.BacklogInterval, c.BacklogSeries)
	}
	b := &Broker{db: db, c: c, joined: map[[2]string]bool{}, empty: map[string]bool{}, wake: map[string]chan struct{}{}, closed: make(chan struct{}),
		log: slog.Default(), now: time.Now, tick: realTicker}
	for _, o := range opts {
		o(b)
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// Migrate creates the broker's tables on its connection.
func (b *Broker) Migrate(ctx context.Context) error {
	_, err := b.db.Migrate(ctx, xgorm.Migrations{Conn: b.c.Conn, Models: Models()})
	return err
}

// conn is the broker's connection, or the caller's transaction on it. Every
// write of the broker is one statement, so gorm's implicit transaction
// around each (BEGIN and COMMIT, three statements for one) is skipped.
func (b *Broker) conn(ctx context.Context) *gorm.DB {
	return b.db.Conn(ctx, b.c.Conn).Session(&gorm.Session{SkipDefaultTransaction: true})
}

// Publish implements broker.Publisher. Inside an xgorm transaction on the
// broker's connection it joins the transaction (the outbox).
func (b *Broker) Publish(ctx context.Context, topic string, msg *broker.Message, opts ...broker.PublishOption) error {
	if err := broker.Prepare(topic, msg); err != nil {
		return err
	}
	if len(msg.Body) > b.c.MaxBytes {
		return fmt.Errorf("dbbroker: publish to %s: message %s is %d bytes, over the limit of %d", topic, msg.ID, len(msg.Body), b.c.MaxBytes)
	}
	select {
	case <-b.closed:
		return broker.ErrClosed
	default:
	}
	var o broker.PublishOptions
	for _, f := range opts {
		f(&o)
	}
	headers, err := encodeHeaders(msg.Headers)
	if err != nil {
		return fmt.Errorf("dbbroker: publish to %s: message %s: %w", topic, msg.ID, err)
	}
	db := b.conn(ctx)
	var groups []string
	if err := db.Model(&Group{}).Where("topic = ?", topic).Pluck("grp", &groups).Error; err != nil {
		return fmt.Errorf("dbbroker: publish to %s: %w", topic, err)
	}
	if len(groups) == 0 {
		groups = []string{""} // a backlog: the first group to claim a message keeps it
	}
	jobs := make([]Job, 0, len(groups))
	for _, g := range groups {
		jobs = append(jobs, Job{MsgID: msg.ID, Topic: topic, Grp: g, AvailableAt: time.Now().Add(o.Delay).UnixMilli(),
			MsgKey: msg.Key, Headers: headers, Body: msg.Body, PublishedAt: msg.Time.UnixNano()})
	}
	if err := db.Create(&jobs).Error; err != nil {
		return fmt.Errorf("dbbroker: publish to %s: %w", topic, err)
	}
	// wake this process's idle consumers of the topic now rather than at
	// their next poll; inside a transaction the row is not visible before
	// the commit, so they find it at their next poll instead
	if o.Delay <= 0 && !xgorm.InTransaction(ctx, b.c.Conn) {
		b.signal(topic)
	}
	return nil
}

// signal wakes the consumers waiting for topic in this process.
func (b *Broker) signal(topic string) {
	b.mu.Lock()
	if ch, ok := b.wake[topic]; ok {
		close(ch)
		delete(b.wake, topic)
	}
	b.mu.Unlock()
}

// waiter is closed at the next signal for topic.
func (b *Broker) waiter(topic string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch, ok := b.wake[topic]
	if !ok {
		ch = make(chan struct{})
		b.wake[topic] = ch
	}
	return ch
}

// join registers group for topic once per process, so that Publish writes
// a row for it from now on.
func (b *Broker) join(ctx context.Context, topic, group string) error {
	b.mu.Lock()
	done := b.joined[[2]string{topic, group}]
	b.mu.Unlock()
	if done {
		return nil
	}
	err := b.db.Transaction(ctx, func(ctx context.Context) error {
		db := b.conn(ctx)
		return db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Group{Topic: topic, Grp: group}).Error
	}, b.c.Conn)
	if err != nil {
		return fmt.Errorf("dbbroker: join %s/%s: %w", topic, group, err)
	}
	b.mu.Lock()
	b.joined[[2]string{topic, group}] = true
	b.mu.Unlock()
	return nil
}

// Receive implements broker.Backend: it claims the first due message of
// topic for group, waiting while there is none until the next poll or until
// this process publishes to the topic.
func (b *Broker) Receive(ctx context.Context, topic, group string) (broker.Delivery, error) {
	if err := b.join(ctx, topic, group); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	var wait *time.Timer
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.closed:
			return nil, broker.ErrClosed
		default:
		}
		woken := b.waiter(topic) // before the claim, so no publish falls between
		d, err := b.claim(ctx, topic, group)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err() // the driver's "interrupted" is the caller's cancel
		}
		if err != nil || d != nil {
			return d, err
		}
		if wait == nil {
			wait = time.NewTimer(b.c.PollInterval)
			defer wait.Stop()
		} else {
			wait.Reset(b.c.PollInterval)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.closed:
			return nil, broker.ErrClosed
		case <-woken:
		case <-wait.C:
		}
	}
}

// claim takes the first due row with a compare-and-set, which works the same
// on SQLite, MySQL and PostgreSQL. A claimed row's available_at moves to the
// end of its reservation, so the rows in flight leave the range the next
// claim walks: the claim index (topic, grp, available_at) hands out the first
// due row without a sort, whatever the backlog.
func (b *Broker) claim(ctx context.Context, topic, group string) (*delivery, error) {
	db := b.conn(ctx)
	for range 5 {
		now := time.Now().UnixMilli()
		var j Job
		// grp '' is the backlog of messages published while no group had
		// joined the topic: the first group to claim one keeps it. It is
		// older than anything published for the group, so it goes first
		// while there is one; once found empty it is looked at again only
		// when the group has nothing due (a publisher that read the groups
		// just before this one joined can still add to it).
		err := gorm.ErrRecordNotFound
		if b.backlog(topic) {
			if err = b.first(db, topic, "", now, &j); errors.Is(err, gorm.ErrRecordNotFound) {
				b.setBacklog(topic, false)
			}
		}
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = b.first(db, topic, group, now, &j)
		}
		if errors.Is(err, gorm.ErrRecordNotFound) {
			b.setBacklog(topic, true)
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dbbroker: receive %s/%s: %w", topic, group, err)
		}
		token := newToken()
		until := now + b.c.Visibility.Milliseconds()
		res := db.Model(&Job{}).Where("id = ? AND available_at = ? AND token = ? AND grp = ?", j.ID, j.AvailableAt, j.Token, j.Grp).
			Updates(map[string]any{"available_at": until, "reserved_until": until, "token": token, "attempt": j.Attempt + 1, "grp": group})
		if res.Error != nil {
			return nil, fmt.Errorf("dbbroker: receive %s/%s: %w", topic, group, res.Error)
		}
		if res.RowsAffected == 1 {
			j.Token, j.Attempt, j.Grp = token, j.Attempt+1, group
			d := &delivery{b: b, j: j}
			if d.m, err = message(j); err == nil {
				return d, nil
			}
			// a row no handler can be given as it was stored (written by
			// hand, or truncated): kept in the dead letters, raw, with why
			if err := d.DeadLetter(ctx, err); err != nil {
				return nil, fmt.Errorf("dbbroker: receive %s/%s: %w", topic, group, err)
			}
			continue
		}
		// another consumer claimed it first: look again
	}
	return nil, nil
}

// backlog reports whether topic's backlog may hold messages.
func (b *Broker) backlog(topic string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.empty[topic]
}

func (b *Broker) setBacklog(topic string, mayHold bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if mayHold {
		delete(b.empty, topic)
	} else {
		b.empty[topic] = true
	}
}

// first reads the first due row of topic for grp.
func (b *Broker) first(db *gorm.DB, topic, grp string, now int64, j *Job) error {
	return db.Where("topic = ? AND grp = ? AND available_at <= ?", topic, grp, now).
		Order("available_at").Order("id").Limit(1).Take(j).Error
}

func newToken() string {
	var t [16]byte
	_, _ = rand.Read(t[:])
	return hex.EncodeToString(t[:])
}

// Close implements broker.Backend and stops the Collector's sampling; it
// does not close the database, which the service owns.
func (b *Broker) Close() error {
	b.once.Do(func() {
		close(b.closed)
		b.cancel()
	})
	b.mu.Lock()
	c := b.collector
	b.mu.Unlock()
	if c != nil {
		<-c.done
	}
	return nil
}
