package xgorm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/glebarez/sqlite"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/clickhouse"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/metrics"
)

// DB holds the named connections. It is safe for concurrent use.
type DB struct {
	conns     map[string]*gorm.DB
	cfgs      Configs
	migrating chan struct{} // one migration at a time in this process
}

type options struct {
	recorder metrics.Recorder
	tracer   trace.TracerProvider
	logger   *slog.Logger
}

// Option configures Open.
type Option func(*options)

// WithRecorder counts queries in r (contrib/prometheus Metrics.Client()).
func WithRecorder(r metrics.Recorder) Option { return func(o *options) { o.recorder = r } }

// WithTracerProvider traces queries with tp instead of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// WithLogger logs slow and failed queries to l instead of slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Open opens and pings every connection. On any failure it closes what it
// opened and returns an error naming the connection and its host, never the
// password.
func Open(ctx context.Context, cfgs Configs, opts ...Option) (*DB, error) {
	if err := cfgs.Validate(); err != nil {
		return nil, err
	}
	o := options{tracer: otel.GetTracerProvider(), logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	d := &DB{conns: map[string]*gorm.DB{}, cfgs: cfgs, migrating: make(chan struct{}, 1)}
	names := make([]string, 0, len(cfgs))
	for n := range cfgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		db, err := open(ctx, name, cfgs[name], o)
		if err != nil {
			_ = d.Close()
			return nil, err
		}
		d.conns[name] = db
	}
	return d, nil
}

func open(ctx context.Context, name string, c Config, o options) (*gorm.DB, error) {
	fail := func(what string, err error) error {
		return fmt.Errorf("database.%s (%s at %s): %s: %s", name, c.Driver, host(c), what, Redact(err.Error()))
	}
	dial, err := dialector(c)
	if err != nil {
		return nil, fail("invalid dsn", err)
	}
	if path := sqlitePath(c.DSN); c.Driver == SQLite && path != "" {
		// Two processes switching one new file to WAL at the same moment
		// both hold a shared lock and want the exclusive one: SQLite fails
		// one of them at once with SQLITE_BUSY, without waiting the busy
		// timeout. The first connection is made under the file's migration
		// lock; later ones find the file in WAL already.
		unlock, err := sqliteLock(ctx, path+".migrate-lock")
		if err != nil {
			return nil, fail("lock", err)
		}
		defer unlock()
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: newLogger(name, c, o.logger), TranslateError: true,
		DisableAutomaticPing: true})
	if err != nil {
		return nil, fail("open", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fail("open", err)
	}
	sqlDB.SetMaxOpenConns(c.maxOpenConns())
	sqlDB.SetMaxIdleConns(c.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(c.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(c.ConnMaxIdleTime)
	pctx, cancel := context.WithCancel(ctx)
	if c.PingTimeout > 0 {
		pctx, cancel = context.WithTimeout(ctx, c.PingTimeout)
	}
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fail("ping", err)
	}
	if err := db.Use(&plugin{name: name, rec: o.recorder, tracer: o.tracer.Tracer("github.com/goxkit/gox/contrib/database/xgorm"), driver: c.Driver}); err != nil {
		_ = sqlDB.Close()
		return nil, fail("plugin", err)
	}
	return db, nil
}

func dialector(c Config) (gorm.Dialector, error) {
	switch c.Driver {
	case SQLite:
		return sqlite.Open(sqliteDSN(c)), mkdirFor(c.DSN)
	case MySQL:
		return mysql.Open(c.DSN), nil
	case Postgres:
		return postgres.Open(c.DSN), nil
	case ClickHouse:
		return clickhouse.Open(c.DSN), nil
	}
	return nil, fmt.Errorf("driver %q is not supported", c.Driver)
}

// sqliteDSN adds the busy timeout, WAL, foreign keys, the synchronous level
// and IMMEDIATE write transactions to a SQLite path. A DSN that sets pragmas
// itself keeps them, with the busy timeout added unless it sets one. The
// driver runs the pragmas in order on every new connection: the busy timeout
// goes first, so that switching a new file to WAL, which needs the file's
// exclusive lock, waits for another process starting at the same moment
// instead of failing with SQLITE_BUSY.
func sqliteDSN(c Config) string {
	if isMemory(c.DSN) {
		return c.DSN
	}
	path, query, _ := strings.Cut(c.DSN, "?")
	busy := c.BusyTimeout
	if busy <= 0 {
		busy = DefaultConfig().BusyTimeout
	}
	pragmas := []string{fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds())}
	var rest []string
	custom := false
	for _, p := range strings.Split(query, "&") {
		switch name := strings.ToLower(p); {
		case p == "":
		case strings.HasPrefix(name, "_pragma=busy_timeout"):
			pragmas[0] = p // the DSN's own, still first
		case strings.HasPrefix(name, "_pragma="):
			custom = true
			rest = append(rest, p)
		default:
			rest = append(rest, p)
		}
	}
	if !custom {
		sync := strings.ToUpper(c.Synchronous)
		if sync == "" {
			sync = "NORMAL"
		}
		pragmas = append(pragmas, "_pragma=journal_mode(WAL)", "_pragma=foreign_keys(1)", "_pragma=synchronous("+sync+")")
		if !strings.Contains(query, "_txlock=") {
			pragmas = append(pragmas, "_txlock=immediate")
		}
	}
	return path + "?" + strings.Join(append(pragmas, rest...), "&")
}

func mkdirFor(dsn string) error {
	p := sqlitePath(dsn)
	if p == "" {
		return nil
	}
	if dir := filepath.Dir(p); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create the directory of %s: %w", p, err)
		}
	}
	return nil
}

// Names returns the connection names, sorted.
func (d *DB) Names() []string {
	names := make([]string, 0, len(d.conns))
	for n := range d.conns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the connection named name (the seed's db.GetConnect), or an
// error naming the connections that exist.
func (d *DB) Get(name string) (*gorm.DB, error) {
	if db, ok := d.conns[name]; ok {
		return db, nil
	}
	return nil, fmt.Errorf("database: no connection named %q (configured: %s)", name, strings.Join(d.Names(), ", "))
}

// Default returns the default connection (the seed's db.Orm).
func (d *DB) Default() *gorm.DB { return d.conns[DefaultName] }

type txKey struct{ name string }

// Conn returns the connection for ctx: the transaction that Transaction put
// in ctx for this connection, or the connection itself bound to ctx. name is
// optional and defaults to "default"; an unknown name panics, as a typo in
// code should fail at the first test.
func (d *DB) Conn(ctx context.Context, name ...string) *gorm.DB {
	n := DefaultName
	if len(name) > 0 {
		n = name[0]
	}
	if tx, ok := ctx.Value(txKey{n}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	db, err := d.Get(n)
	if err != nil {
		panic(err)
	}
	return db.WithContext(ctx)
}

// Transaction runs fn in a transaction on the named connection (default
// when omitted). Every Conn(ctx) made from fn's ctx uses it, so repositories
// compose. fn's error, or a panic, rolls back; nil commits. A Transaction
// inside another on the same connection runs in a savepoint.
func (d *DB) Transaction(ctx context.Context, fn func(ctx context.Context) error, name ...string) error {
	n := DefaultName
	if len(name) > 0 {
		n = name[0]
	}
	return d.Conn(ctx, n).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{n}, tx))
	})
}

// InTransaction reports whether ctx carries a transaction of the named connection.
func InTransaction(ctx context.Context, name ...string) bool {
	n := DefaultName
	if len(name) > 0 {
		n = name[0]
	}
	_, ok := ctx.Value(txKey{n}).(*gorm.DB)
	return ok
}

// Ping pings every connection; the error names the first that fails.
func (d *DB) Ping(ctx context.Context) error {
	for _, n := range d.Names() {
		sqlDB, err := d.conns[n].DB()
		if err == nil {
			err = sqlDB.PingContext(ctx)
		}
		if err != nil {
			return fmt.Errorf("database.%s (%s): %s", n, host(d.cfgs[n]), Redact(err.Error()))
		}
	}
	return nil
}

// HealthChecks returns a readiness check per connection, named db.<name>.
func (d *DB) HealthChecks() map[string]health.Check {
	checks := map[string]health.Check{}
	for _, n := range d.Names() {
		db := d.conns[n]
		checks["db."+n] = func(ctx context.Context) error {
			sqlDB, err := db.DB()
			if err != nil {
				return err
			}
			return sqlDB.PingContext(ctx)
		}
	}
	return checks
}

// Close closes every connection; it may be called more than once.
func (d *DB) Close() error {
	var errs []error
	for n, db := range d.conns {
		if sqlDB, err := db.DB(); err == nil {
			if err := sqlDB.Close(); err != nil {
				errs = append(errs, fmt.Errorf("database.%s: close: %w", n, err))
			}
		}
	}
	return errors.Join(errs...)
}
