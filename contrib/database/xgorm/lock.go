package xgorm

import (
	"context"
	"fmt"
)

// lockMigrations serialises migrations of one connection across every
// process that shares the database, so that replicas started together
// create each table and run each SQL file once:
//
//   - PostgreSQL: pg_advisory_lock, held by a session of its own;
//   - MySQL/MariaDB: GET_LOCK, named after the database;
//   - SQLite: an exclusive transaction on the file <path>.migrate-lock beside
//     the database, which Open also holds while it makes the first
//     connection; in-memory databases are private to the process;
//   - ClickHouse: no lock between processes.
//
// The driver's sub-package takes the lock (Driver.Lock). Every lock is
// released by the database or the operating system when the process holding
// it dies. The lock waits as long as ctx allows. The returned func releases
// it.
func (d *DB) lockMigrations(ctx context.Context, name string) (func(), error) {
	select {
	case d.migrating <- struct{}{}: // migrations of this DB in this process
	case <-ctx.Done():
		return nil, fmt.Errorf("database.%s: wait for the migration lock: %w", name, ctx.Err())
	}
	c := d.cfgs[name]
	unlock := func() {}
	drv, err := driver(c.Driver)
	if err == nil && drv.Lock != nil {
		unlock, err = drv.Lock(ctx, c)
	}
	if err != nil {
		<-d.migrating
		return nil, fmt.Errorf("database.%s (%s): migration lock: %s", name, host(c), Redact(err.Error()))
	}
	return func() { unlock(); <-d.migrating }, nil
}
