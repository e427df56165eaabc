package xgorm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
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

// Open opens and pings every connection. Each connection's driver must be
// linked into the program by importing its sub-package (see Driver); the
// error for one that is not names the import to add. On any failure Open
// closes what it opened and returns an error naming the connection and its
// host, never the password.
func Open(ctx context.Context, cfgs Configs, opts ...Option) (*DB, error) {
	if err := cfgs.Validate(); err != nil {
		return nil, err
	}
	for name, c := range cfgs {
		if _, err := driver(c.Driver); err != nil {
			return nil, fmt.Errorf("database.%s: %w", name, err)
		}
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
	drv, err := driver(c.Driver)
	if err != nil {
		return nil, fmt.Errorf("database.%s: %w", name, err)
	}
	dial, err := drv.Dialector(c)
	if err != nil {
		return nil, fail("invalid dsn", err)
	}
	if drv.LockOpen && drv.Lock != nil {
		unlock, err := drv.Lock(ctx, c)
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
	sqlDB.SetMaxOpenConns(c.maxOpenConns(drv))
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

// Names returns the connection names, sorted.
func (d *DB) Names() []string {
	names := make([]string, 0, len(d.conns))
	for n := range d.conns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the connection named name, or an error naming the
// connections that exist.
func (d *DB) Get(name string) (*gorm.DB, error) {
	if db, ok := d.conns[name]; ok {
		return db, nil
	}
	return nil, fmt.Errorf("database: no connection named %q (configured: %s)", name, strings.Join(d.Names(), ", "))
}

// Default returns the connection named default, or nil when there is none.
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
