package xgorm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
)

// migrationLockKey is the PostgreSQL advisory lock key gox's migrations hold
// (the bytes of "goxmigr"); advisory locks are per database.
const migrationLockKey int64 = 0x676f786d696772

// lockPoll is how long one attempt to take a MySQL or SQLite migration lock
// waits before the context is looked at again.
const lockPoll = time.Second

// lockMigrations serialises migrations of one connection across every
// process that shares the database, so that replicas started together
// create each table and run each SQL file once:
//
//   - PostgreSQL: pg_advisory_lock, held by a session of its own;
//   - MySQL/MariaDB: GET_LOCK, named after the database;
//   - SQLite: an exclusive transaction on the file <path>.migrate-lock beside
//     the database (a lock on the database itself would shut out the
//     migration's own writes), which Open also holds while it makes the
//     first connection; in-memory databases are private to the process;
//   - ClickHouse: no lock between processes.
//
// Every lock is released by the database or the operating system when the
// process holding it dies. The lock waits as long as ctx allows. The
// returned func releases it.
func (d *DB) lockMigrations(ctx context.Context, name string) (func(), error) {
	select {
	case d.migrating <- struct{}{}: // migrations of this DB in this process
	case <-ctx.Done():
		return nil, fmt.Errorf("database.%s: wait for the migration lock: %w", name, ctx.Err())
	}
	c := d.cfgs[name]
	unlock, err := lockFor(ctx, c)
	if err != nil {
		<-d.migrating
		return nil, fmt.Errorf("database.%s (%s): migration lock: %s", name, host(c), Redact(err.Error()))
	}
	return func() { unlock(); <-d.migrating }, nil
}

func lockFor(ctx context.Context, c Config) (func(), error) {
	switch c.Driver {
	case Postgres:
		return sessionLock(ctx, "pgx", c.DSN, func(ctx context.Context, conn *sql.Conn) (bool, error) {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey)
			return err == nil, err
		}, "SELECT pg_advisory_unlock($1)", migrationLockKey)
	case MySQL:
		// lock names are server-wide: name it after the database
		const name = "LEFT(CONCAT('gox_migrations.', IFNULL(DATABASE(), '')), 64)"
		return sessionLock(ctx, mysql.DefaultDriverName, c.DSN, func(ctx context.Context, conn *sql.Conn) (bool, error) {
			var got sql.NullInt64
			err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+name+", ?)", int(lockPoll/time.Second)).Scan(&got)
			if err == nil && !got.Valid {
				err = errors.New("GET_LOCK returned NULL")
			}
			return got.Int64 == 1, err
		}, "SELECT RELEASE_LOCK("+name+")")
	case SQLite:
		path := sqlitePath(c.DSN)
		if path == "" {
			return func() {}, nil
		}
		return sqliteLock(ctx, path+".migrate-lock")
	}
	return func() {}, nil
}

// sessionLock opens a connection of its own (the pool may have a single
// one, which the migration needs) and calls try on it until it reports the
// lock taken; the returned func runs unlock and closes the connection, whose
// end would release the lock too.
func sessionLock(ctx context.Context, driver, dsn string, try func(context.Context, *sql.Conn) (bool, error), unlock string, args ...any) (func(), error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	for {
		got, err := try(ctx, conn)
		if err == nil && !got {
			err = ctx.Err()
		}
		if err != nil {
			_ = conn.Close()
			_ = db.Close()
			return nil, err
		}
		if got {
			break
		}
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), unlock, args...)
		_ = conn.Close()
		_ = db.Close()
	}, nil
}

// sqliteBusy is SQLITE_BUSY, the primary code of "another connection holds the lock".
const sqliteBusy = 5

// sqliteLock holds an exclusive transaction on the SQLite file at path,
// created if missing. SQLite's file locks are released when the process dies.
func sqliteLock(ctx context.Context, path string) (func(), error) {
	db, err := sql.Open(sqlite.DriverName, fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_txlock=exclusive", path, lockPoll.Milliseconds()))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil {
			return func() { _ = tx.Rollback(); _ = db.Close() }, nil
		}
		var coded interface{ Code() int }
		if ctx.Err() != nil || !errors.As(err, &coded) || coded.Code()&0xff != sqliteBusy {
			_ = db.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// sqlitePath is the file of a SQLite DSN, or "" for an in-memory database.
func sqlitePath(dsn string) string {
	if isMemory(dsn) {
		return ""
	}
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || strings.HasPrefix(p, ":") {
		return ""
	}
	return p
}

// isMemory reports whether a SQLite DSN names an in-memory database.
func isMemory(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") || strings.Contains(dsn, "mode=memory")
}
