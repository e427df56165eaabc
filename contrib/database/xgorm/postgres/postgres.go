// Package postgres registers PostgreSQL with xgorm, on gorm's postgres
// driver (pgx). Import it for its effect in a program whose config names the
// postgres driver:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
//
// Migrations hold pg_advisory_lock on a session of their own, so that
// replicas starting together migrate once; PostgreSQL releases it when the
// session ends, a crashed process's too.
package postgres

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/internal/sessionlock"
)

// migrationLockKey is the advisory lock key gox's migrations hold (the bytes
// of "goxmigr"); advisory locks are per database.
const migrationLockKey int64 = 0x676f786d696772

func init() {
	xgorm.Register(xgorm.Postgres, xgorm.Driver{
		Dialector: func(c xgorm.Config) (gorm.Dialector, error) { return gormpostgres.Open(c.DSN), nil },
		Dialect:   goose.DialectPostgres,
		Lock:      lock,
	})
}

// lock holds pg_advisory_lock until the returned func is called; the
// statement waits for the lock until ctx ends.
func lock(ctx context.Context, c xgorm.Config) (func(), error) {
	// gorm's postgres driver registers pgx's database/sql driver as "pgx"
	return sessionlock.Take(ctx, "pgx", c.DSN, func(ctx context.Context, conn *sql.Conn) (bool, error) {
		_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey)
		return err == nil, err
	}, "SELECT pg_advisory_unlock($1)", migrationLockKey)
}
