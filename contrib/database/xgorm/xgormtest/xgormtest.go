// Package xgormtest gives integration tests a database of their own on a
// real server: a SQLite file in the test's temporary directory, or a new
// database on the PostgreSQL or MySQL/MariaDB server that PG_DSN or
// MYSQL_DSN points at, dropped when the test ends.
//
//	func TestOrders(t *testing.T) {
//		c := xgormtest.Fresh(t, xgormtest.Postgres(t))
//		db, err := xgorm.Open(ctx, xgorm.Configs{xgorm.DefaultName: c})
//		...
//	}
//
// Postgres and MySQL skip the test when their variable is unset, and fail it
// when CI is set, so a CI run never passes by skipping.
//
// xgormtest links no database driver: the test imports the xgorm driver
// sub-package of each database it uses, as the service does, or Fresh and
// Open fail naming the import to add:
//
//	import _ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
package xgormtest

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/goxtest"
)

// SQLite returns the configuration of a new SQLite file in t's temporary
// directory.
func SQLite(t testing.TB) xgorm.Config {
	c := xgorm.DefaultConfig()
	c.DSN = filepath.Join(t.TempDir(), "app.db")
	return c
}

// Postgres returns the configuration of the PostgreSQL database PG_DSN
// names (postgres://user@host:port/db?sslmode=disable).
func Postgres(t testing.TB) xgorm.Config {
	t.Helper()
	c := xgorm.DefaultConfig()
	c.Driver, c.DSN = xgorm.Postgres, goxtest.RequireEnv(t, "PG_DSN", "source ci/lib.sh; source ci/postgres.sh; start_postgres")
	return c
}

// MySQL returns the configuration of the MySQL/MariaDB database MYSQL_DSN
// names (user:pass@tcp(host:port)/db?parseTime=true).
func MySQL(t testing.TB) xgorm.Config {
	t.Helper()
	c := xgorm.DefaultConfig()
	c.Driver, c.DSN = xgorm.MySQL, goxtest.RequireEnv(t, "MYSQL_DSN", "source ci/lib.sh; source ci/mariadb.sh; start_mariadb")
	return c
}

// Drivers returns SQLite, Postgres and MySQL by driver name, for tests that
// run once on each.
func Drivers() map[string]func(testing.TB) xgorm.Config {
	return map[string]func(testing.TB) xgorm.Config{xgorm.SQLite: SQLite, xgorm.Postgres: Postgres, xgorm.MySQL: MySQL}
}

var seq atomic.Int64

// Fresh returns c pointed at a new, empty database: a new SQLite file, or a
// database created on c's server (its user needs CREATE DATABASE) and
// dropped, with the connections still open to it, when the test ends.
func Fresh(t testing.TB, c xgorm.Config) xgorm.Config {
	t.Helper()
	switch c.Driver {
	case xgorm.SQLite:
		c.DSN = filepath.Join(t.TempDir(), "app.db")
		return c
	case xgorm.Postgres, xgorm.MySQL:
	default:
		t.Fatalf("xgormtest.Fresh: driver %q has no fresh databases (sqlite, postgres, mysql)", c.Driver)
	}
	name := fmt.Sprintf("gox_test_%d_%d", time.Now().UnixNano(), seq.Add(1))
	dsn, err := withDatabase(c.Driver, c.DSN, name)
	if err != nil {
		t.Fatal(err)
	}
	admin := c // the server's own database, to create and drop from
	if err := exec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		drop := "DROP DATABASE IF EXISTS " + name
		if c.Driver == xgorm.Postgres {
			drop += " WITH (FORCE)" // PostgreSQL 13+: ends the sessions still on it
		}
		if err := exec(admin, drop); err != nil {
			t.Errorf("xgormtest: drop the test database: %v", err)
		}
	})
	c.DSN = dsn
	return c
}

// exec runs one statement on a connection of its own to c's database.
func exec(c xgorm.Config, sql string) error {
	db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Default().Exec(sql).Error
}

// withDatabase returns dsn with its database replaced by name.
func withDatabase(driver, dsn, name string) (string, error) {
	if driver == xgorm.Postgres {
		u, err := url.Parse(dsn)
		if err != nil || u.Scheme == "" {
			return "", fmt.Errorf("xgormtest: the PostgreSQL DSN must be a URL (postgres://user@host:port/db): %s", xgorm.Redact(dsn))
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	i := strings.Index(dsn, ")/") // user:pass@tcp(host:port)/db?params
	if i < 0 {
		return "", fmt.Errorf("xgormtest: the MySQL DSN has no /database after the address: %s", xgorm.Redact(dsn))
	}
	_, q, _ := strings.Cut(dsn[i+2:], "?")
	if q != "" {
		q = "?" + q
	}
	return dsn[:i+2] + name + q, nil
}
