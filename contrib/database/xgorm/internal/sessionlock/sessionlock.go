// Package sessionlock holds a lock that lives in a database session, such as
// PostgreSQL's advisory locks and MySQL's GET_LOCK, for the migration locks of
// xgorm's drivers. It opens no driver itself: the caller names one that its
// own imports registered with database/sql.
package sessionlock

import (
	"context"
	"database/sql"
	"time"
)

// Poll is how long one attempt to take a lock that is polled (MySQL's
// GET_LOCK, SQLite's exclusive transaction) waits before the context is
// looked at again.
const Poll = time.Second

// Take opens a connection of its own to dsn through the database/sql driver
// named driver (the service's pool may have a single connection, which the
// migration needs) and calls try on it until try reports the lock taken or
// fails, or ctx ends. The returned func runs unlock with args and closes the
// connection, whose end would release the lock too.
func Take(ctx context.Context, driver, dsn string, try func(context.Context, *sql.Conn) (bool, error), unlock string, args ...any) (func(), error) {
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
