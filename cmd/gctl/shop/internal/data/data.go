// scaffolded by gctl; safe to edit.

// Package data opens what the service keeps state in: the database
// connections and the cache and its locks.
// Repositories in internal/repo take a *Data.
package data

import (
	"context"
	"errors"
	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/cache"
	kafka "github.com/goxkit/gox/contrib/broker/kafka"
	xgorm "github.com/goxkit/gox/contrib/database/gorm"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/lock"
	"github.com/goxkit/gox/metrics"
	"github.com/goxkit/gox/middleware/requestid"
	"log/slog"

	"shop/configs"
)

// Data holds the open stores.
type Data struct {
	DB     *xgorm.DB
	Cache  cache.Store
	Locker lock.Locker
	// Broker is the queue; publish through Producer, which carries the
	// request id to the consumers.
	Broker   broker.Backend
	Producer *broker.Producer
	checks   map[string]health.Check
	closers  []func() error
}

// Open opens every store the config names. rec counts their calls; it may be nil.
func Open(ctx context.Context, c configs.Config, logger *slog.Logger, rec metrics.Recorder) (*Data, error) {
	d := &Data{checks: map[string]health.Check{}}
	var opts []xgorm.Option
	if rec != nil {
		opts = append(opts, xgorm.WithRecorder(rec))
	}
	db, err := xgorm.Open(ctx, c.Database, append(opts, xgorm.WithLogger(logger))...)
	if err != nil {
		return nil, err
	}
	d.DB = db
	d.closers = append(d.closers, db.Close)
	for name, check := range db.HealthChecks() {
		d.checks[name] = check
	}
	switch c.Cache.Driver {
	default:
		store, err := cache.NewMemory(c.Cache.Memory)
		if err != nil {
			_ = d.Close()
			return nil, err
		}
		d.Cache, d.Locker = store, lock.NewLocal()
	}
	// The broker is reached before anything listens: a service that cannot
	// reach it does not start (the error names it).
	b, err := kafka.New(ctx, c.Queue.Kafka, kafka.WithLogger(logger))
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	d.Broker = b
	d.closers = append(d.closers, b.Close)
	d.Producer = broker.NewProducer(b, requestid.Client())
	return d, nil
}

// HealthChecks are readiness checks for /readyz, one per store.
func (d *Data) HealthChecks() map[string]health.Check { return d.checks }

// Close closes the stores in reverse order of opening.
func (d *Data) Close() error {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		errs = append(errs, d.closers[i]())
	}
	d.closers = nil
	return errors.Join(errs...)
}
