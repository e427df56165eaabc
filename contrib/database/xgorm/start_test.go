package xgorm_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
	"github.com/goxkit/gox/goxtest"
)

// TestMain runs the test binary as one replica of TestConcurrentStart when
// started by it; otherwise it runs the tests and fails them if a
// connection's goroutine outlives them.
func TestMain(m *testing.M) {
	xgormtest.Replica(func(ctx context.Context, db *xgorm.DB) error {
		_, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&User{}, &Account{}}, SQL: os.DirFS("testdata/migrations")})
		return err
	})
	goxtest.VerifyNoLeaks(m)
}

// TestConcurrentStart starts 5 processes on one fresh database at the same
// instant, as a rollout of several replicas does, xgormtest.Rounds() times
// (before the migration lock, 1 round in 2 failed): every one starts, the
// tables are created once and each SQL migration runs once.
func TestConcurrentStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			xgormtest.StartTogether(t, d.cfg(t), 5, func(t *testing.T, db *xgorm.DB) {
				var versions []int64
				db.Default().Raw("SELECT version_id FROM " + xgorm.MigrationTable + " WHERE version_id > 0 ORDER BY version_id").Scan(&versions)
				var tags int64
				db.Default().Table("tags").Count(&tags)
				if fmt.Sprint(versions) != "[1 2]" || tags != 1 || !db.Default().Migrator().HasTable(&Account{}) {
					t.Fatalf("after 5 concurrent starts: versions recorded %v, %d rows inserted by 00002_tags.sql; want [1 2] and 1", versions, tags)
				}
			})
		})
	}
}

// The busy timeout is in force before the switch to WAL: a replica opening a
// fresh file that another process holds locked (its own switch to WAL, its
// first migration) waits up to busy_timeout, here longer than the driver's
// built-in 5 s, instead of failing with SQLITE_BUSY.
func TestSQLiteBusyTimeoutBeforeWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a lock for 5.5 s")
	}
	c := sqliteConfig(t)
	c.BusyTimeout = 20 * time.Second
	if err := os.MkdirAll(filepath.Dir(c.DSN), 0o755); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", c.DSN+"?_txlock=exclusive")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin() // the file's exclusive lock
	if err != nil {
		t.Fatal(err)
	}
	released := time.AfterFunc(5500*time.Millisecond, func() { _ = tx.Rollback() })
	defer released.Stop()
	db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		t.Fatalf("open while another process held the file for 5.5 s, with busy_timeout 20s: %v", err)
	}
	defer db.Close()
	var mode string
	var busy int
	db.Default().Raw("PRAGMA journal_mode").Scan(&mode)
	db.Default().Raw("PRAGMA busy_timeout").Scan(&busy)
	if mode != "wal" || busy != 20000 {
		t.Fatalf("journal_mode %q, busy_timeout %d; want wal and 20000", mode, busy)
	}
}

// The migration lock is held on a session of its own: a pool of one
// connection still migrates (rather than waiting for itself).
func TestMigrateWithAPoolOfOne(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			c := d.cfg(t)
			c.MaxOpenConns = 1
			db := open(t, c)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&User{}}, SQL: os.DirFS("testdata/migrations")}); err != nil {
				t.Fatal(err)
			}
			if st, err := db.Status(ctx, xgorm.Migrations{SQL: os.DirFS("testdata/migrations")}); err != nil || len(st) != 2 || !st[1].Applied {
				t.Fatalf("status %+v, %v", st, err)
			}
		})
	}
}

// A migration waits while another process holds the migration lock, and
// gives up when its context ends, with an error naming the lock.
func TestMigrationWaitsForTheLock(t *testing.T) {
	c := sqliteConfig(t)
	db := open(t, c)
	other, err := sql.Open("sqlite", c.DSN+".migrate-lock?_txlock=exclusive")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := other.Begin() // another replica migrating
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	m := xgorm.Migrations{Models: []any{&User{}}}
	if _, err := db.Migrate(ctx, m); err == nil || !strings.Contains(err.Error(), "database.default (") ||
		!strings.Contains(err.Error(), "migration lock: context deadline exceeded") {
		t.Fatalf("Migrate while another process migrates: %v; want it to wait, then fail naming the lock", err)
	}
	if db.Default().Migrator().HasTable(&User{}) {
		t.Fatal("Migrate created a table without the lock")
	}
	_ = held.Rollback()
	if _, err := db.Migrate(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// A config without busy_timeout (0) waits 5 s for another process's lock,
// rather than failing at once.
func TestSQLiteZeroBusyTimeoutIsTheDefault(t *testing.T) {
	c := sqliteConfig(t)
	c.BusyTimeout = 0
	var busy int
	open(t, c).Default().Raw("PRAGMA busy_timeout").Scan(&busy)
	if busy != 5000 {
		t.Fatalf("busy_timeout %d with busy_timeout unset; want 5000", busy)
	}
}
