// Package sqlite registers SQLite with xgorm, on glebarez/sqlite (pure Go,
// no cgo). Import it for its effect in a program whose config names the
// sqlite driver, gox's default:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
//
// A DSN is a file path: its directory is created, and each new connection
// runs the busy timeout, WAL, foreign keys and the synchronous level (see
// xgorm.Config). Migrations hold an exclusive transaction on the file
// <path>.migrate-lock beside the database (a lock on the database itself
// would shut out the migration's own writes), which Open also holds while it
// makes the first connection; the operating system releases it when the
// process dies. In-memory databases are private to the process and take no
// lock.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	glebarez "github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/internal/sessionlock"
)

func init() {
	xgorm.Register(xgorm.SQLite, xgorm.Driver{
		Dialector: dialector,
		Dialect:   goose.DialectSQLite3,
		Lock:      lock,
		// Two processes switching one new file to WAL at the same moment
		// both hold a shared lock and want the exclusive one: SQLite fails
		// one of them at once with SQLITE_BUSY, without waiting the busy
		// timeout. The first connection is made under the file's migration
		// lock; later ones find the file in WAL already.
		LockOpen: true,
		// SQLite has one writer at a time: with one connection the process's
		// writers queue in the pool instead of each sleeping in SQLite's busy
		// handler (see xgorm.Config.MaxOpenConns).
		MaxOpenConns: 1,
	})
}

func dialector(c xgorm.Config) (gorm.Dialector, error) {
	if err := mkdirFor(c.DSN); err != nil {
		return nil, err
	}
	return glebarez.Open(withPragmas(c)), nil
}

// withPragmas adds the busy timeout, WAL, foreign keys, the synchronous level and
// IMMEDIATE write transactions to a SQLite path. A DSN that sets pragmas
// itself keeps them, with the busy timeout added unless it sets one. The
// driver runs the pragmas in order on every new connection: the busy timeout
// goes first, so that switching a new file to WAL, which needs the file's
// exclusive lock, waits for another process starting at the same moment
// instead of failing with SQLITE_BUSY.
func withPragmas(c xgorm.Config) string {
	if isMemory(c.DSN) {
		return c.DSN
	}
	path, query, _ := strings.Cut(c.DSN, "?")
	busy := c.BusyTimeout
	if busy <= 0 {
		busy = xgorm.DefaultConfig().BusyTimeout
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
	p := filePath(dsn)
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

// lock holds the migration lock of c's file, <path>.migrate-lock; an
// in-memory database needs none.
func lock(ctx context.Context, c xgorm.Config) (func(), error) {
	p := filePath(c.DSN)
	if p == "" {
		return func() {}, nil
	}
	return fileLock(ctx, p+".migrate-lock")
}

// sqliteBusy is SQLITE_BUSY, the primary code of "another connection holds the lock".
const sqliteBusy = 5

// fileLock holds an exclusive transaction on the SQLite file at path,
// created if missing, trying again every sessionlock.Poll until ctx ends.
// SQLite's file locks are released when the process dies.
func fileLock(ctx context.Context, path string) (func(), error) {
	db, err := sql.Open(glebarez.DriverName, fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_txlock=exclusive", path, sessionlock.Poll.Milliseconds()))
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

// filePath is the file of a SQLite DSN, or "" for an in-memory database.
func filePath(dsn string) string {
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
