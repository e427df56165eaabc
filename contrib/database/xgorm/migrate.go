package xgorm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// MigrationTable records which versioned migrations ran.
const MigrationTable = "gox_migrations"

// Migrations is what `db migrate` applies to one connection: first gorm's
// AutoMigrate of the registered models (creates tables and missing columns,
// never drops), then the versioned SQL files in SQL, in version order.
//
// SQL files are named NNNNN_what.sql and hold an up and a down part
// (pressly/goose's format):
//
//	-- +goose Up
//	CREATE INDEX users_email ON users (email);
//	-- +goose Down
//	DROP INDEX users_email;
//
// Each file runs in a transaction where the database allows DDL in one
// (SQLite, PostgreSQL; not MySQL or ClickHouse): a file that fails halfway
// leaves nothing behind there, and MigrationTable only records files that
// completed.
//
// Migrate, Rollback and Status hold a migration lock shared by every process
// on the database (see lockMigrations), so that replicas starting together
// each run Migrate safely: the first creates the tables and runs the files,
// the others wait for it and then find nothing left to do.
type Migrations struct {
	Conn   string // connection name; empty means default
	Models []any
	SQL    fs.FS
}

// MigrationStatus is one SQL migration and whether it ran.
type MigrationStatus struct {
	Version int64
	File    string
	Applied bool
}

func (m Migrations) conn() string {
	if m.Conn == "" {
		return DefaultName
	}
	return m.Conn
}

func (d *DB) provider(m Migrations) (*goose.Provider, error) {
	name := m.conn()
	db, err := d.Get(name)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	drv, err := driver(d.cfgs[name].Driver)
	if err != nil {
		return nil, fmt.Errorf("database.%s: %w", name, err)
	}
	dialect := drv.Dialect
	p, err := goose.NewProvider(dialect, sqlDB, m.SQL, goose.WithTableName(MigrationTable),
		goose.WithDisableGlobalRegistry(true), goose.WithSlog(slog.New(slog.DiscardHandler)),
		// ClickHouse has no transactions: its version table is made outside one
		goose.WithIsolateDDL(dialect == goose.DialectClickHouse))
	if errors.Is(err, goose.ErrNoMigrations) {
		return nil, nil // an empty directory: nothing to do
	}
	if err != nil {
		return nil, fmt.Errorf("database.%s: migrations: %w", name, err)
	}
	return p, nil
}

// Migrate applies the models and every pending SQL migration, and returns
// what it did, one line each. It stops at the first failure, naming the
// model or the file.
func (d *DB) Migrate(ctx context.Context, m Migrations) ([]string, error) {
	name := m.conn()
	db, err := d.Get(name)
	if err != nil {
		return nil, err
	}
	unlock, err := d.lockMigrations(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var done []string
	for _, model := range m.Models {
		if err := db.WithContext(ctx).AutoMigrate(model); err != nil {
			return done, fmt.Errorf("database.%s: migrate model %T: %w", name, model, err)
		}
		done = append(done, fmt.Sprintf("model %T", model))
	}
	if m.SQL == nil {
		return done, nil
	}
	p, err := d.provider(m)
	if err != nil || p == nil {
		return done, err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			done = append(done, fmt.Sprintf("up %s", r.Source.Path))
		}
	}
	if err != nil {
		var perr *goose.PartialError
		if errors.As(err, &perr) && perr.Failed != nil {
			return done, fmt.Errorf("database.%s: migration %s failed (earlier ones are applied and recorded): %w",
				name, perr.Failed.Source.Path, perr.Err)
		}
		return done, fmt.Errorf("database.%s: migrate: %w", name, err)
	}
	return done, nil
}

// Rollback reverts the most recent SQL migration, and returns its file, or
// "" when none is applied. Models are not rolled back.
func (d *DB) Rollback(ctx context.Context, m Migrations) (string, error) {
	if m.SQL == nil {
		return "", nil
	}
	if _, err := d.Get(m.conn()); err != nil {
		return "", err
	}
	unlock, err := d.lockMigrations(ctx, m.conn())
	if err != nil {
		return "", err
	}
	defer unlock()
	p, err := d.provider(m)
	if err != nil || p == nil {
		return "", err
	}
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return "", nil
	}
	if err != nil {
		path := ""
		if r != nil && r.Source != nil {
			path = " " + r.Source.Path
		}
		return "", fmt.Errorf("database.%s: rollback%s: %w", m.conn(), path, err)
	}
	return r.Source.Path, nil
}

// Status lists the SQL migrations and whether each ran.
func (d *DB) Status(ctx context.Context, m Migrations) ([]MigrationStatus, error) {
	if m.SQL == nil {
		return nil, nil
	}
	if _, err := d.Get(m.conn()); err != nil {
		return nil, err
	}
	unlock, err := d.lockMigrations(ctx, m.conn())
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := d.provider(m)
	if err != nil || p == nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("database.%s: migration status: %w", m.conn(), err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, File: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}
