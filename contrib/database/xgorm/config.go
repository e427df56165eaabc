// Package xgorm is gox's database layer on gorm: named connections from
// config (SQLite by default, MySQL/MariaDB, PostgreSQL, ClickHouse), pinged at
// start and closed on stop; transactions carried in the context so that
// several repositories share one; a span and a gox_client_* series per query
// (kind "db"); a slow-query log; and migrations (registered models plus
// versioned SQL files, up and down, recorded in a table) for the
// `db migrate` and `db rollback` commands, under a lock shared by every
// process on the database, so that replicas starting together migrate once.
//
//	dbs, err := xgorm.Open(ctx, cfg.Database, xgorm.WithRecorder(m.Client()))
//	defer dbs.Close()
//	err = dbs.Transaction(ctx, func(ctx context.Context) error {
//		if err := orders.Create(ctx, o); err != nil { // both use dbs.Conn(ctx)
//			return err
//		}
//		return stock.Take(ctx, o.Items)
//	})
package xgorm

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Drivers gox supports, by the name Config.Driver gives. Each registers from
// its sub-package, which the program imports: xgorm/sqlite, xgorm/mysql,
// xgorm/postgres, xgorm/clickhouse.
const (
	SQLite     = "sqlite"
	MySQL      = "mysql"
	Postgres   = "postgres"
	ClickHouse = "clickhouse"
)

// DefaultName is the connection used when none is named.
const DefaultName = "default"

// Config is one connection.
type Config struct {
	// Driver is sqlite, mysql (MariaDB too), postgres or clickhouse, or the
	// name of a driver the program registered. Open needs the driver's
	// sub-package imported (import _ ".../contrib/database/xgorm/postgres").
	Driver string `yaml:"driver"`
	// DSN in the driver's own form. SQLite: a file path (its directory is
	// created), WAL, a busy timeout and foreign keys are switched on.
	DSN string `yaml:"dsn"`
	// MaxOpenConns bounds the pool; 0 takes the driver's default: 1 for
	// SQLite, 20 for the others. SQLite has one writer at a time: with one
	// connection the process's writers queue in the pool, in order, instead of
	// each sleeping in SQLite's busy handler (a concurrent publisher and
	// consumer on a pool of 20 saw statements wait 130–930 ms). Reads are
	// microseconds on SQLite and queue too. Inside a transaction, query
	// through the transaction's context (Conn(ctx)): with one connection a
	// statement sent past it waits for the transaction to end.
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	ConnMaxIdleTime time.Duration `yaml:"conn_max_idle_time"`
	// PingTimeout bounds the ping at start.
	PingTimeout time.Duration `yaml:"ping_timeout"`
	// SlowThreshold: queries slower than this are logged at warn level; 0 turns it off.
	SlowThreshold time.Duration `yaml:"slow_threshold"`
	// BusyTimeout is how long SQLite waits for a lock held by another
	// writer (another process: writers in this process queue in the pool);
	// 0 means 5 s. It is the first pragma a new connection runs, before the
	// switch to WAL.
	BusyTimeout time.Duration `yaml:"busy_timeout"`
	// Synchronous is SQLite's synchronous pragma: normal (the default), full,
	// extra or off. In WAL mode normal survives a crash of the process with
	// every committed transaction; full also survives a power loss of the
	// machine, at one fsync per commit (on this project's CI machine ~0.5 ms,
	// a third of the queue's throughput).
	Synchronous string `yaml:"synchronous"`
}

// maxOpenConns is the pool bound Open applies with driver d.
func (c Config) maxOpenConns(d Driver) int {
	switch {
	case c.MaxOpenConns > 0:
		return c.MaxOpenConns
	case d.MaxOpenConns > 0:
		return d.MaxOpenConns
	}
	return 20
}

// DefaultConfig is a SQLite file under data/.
func DefaultConfig() Config {
	return Config{Driver: SQLite, DSN: "data/app.db", MaxIdleConns: 10,
		ConnMaxLifetime: 30 * time.Minute, ConnMaxIdleTime: 5 * time.Minute, PingTimeout: 5 * time.Second,
		SlowThreshold: 200 * time.Millisecond, BusyTimeout: 5 * time.Second, Synchronous: "normal"}
}

// Configs are named connections; "default" is the one Conn uses when no
// name is given.
type Configs map[string]Config

// DefaultConfigs is one SQLite connection named default.
func DefaultConfigs() Configs { return Configs{DefaultName: DefaultConfig()} }

// Validate reports the first invalid connection, naming it.
func (cs Configs) Validate() error {
	if len(cs) == 0 {
		return fmt.Errorf("database: no connections configured; add database.%s", DefaultName)
	}
	for name, c := range cs {
		if err := c.validate(); err != nil {
			return fmt.Errorf("database.%s: %w", name, err)
		}
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case c.Driver == "":
		return fmt.Errorf("driver is empty; one of sqlite, mysql, postgres, clickhouse")
	case !known(c.Driver):
		return fmt.Errorf("driver %q is not one of sqlite, mysql, postgres, clickhouse", c.Driver)
	}
	if strings.TrimSpace(c.DSN) == "" {
		return fmt.Errorf("dsn is empty")
	}
	switch strings.ToLower(c.Synchronous) {
	case "", "off", "normal", "full", "extra":
	default:
		return fmt.Errorf("synchronous %q is not one of off, normal, full, extra", c.Synchronous)
	}
	if c.MaxOpenConns < 0 || c.MaxIdleConns < 0 {
		return fmt.Errorf("max_open_conns and max_idle_conns must not be negative")
	}
	return nil
}

var (
	urlPassword = regexp.MustCompile(`(://[^:/@\s]*):[^@\s]*@`)
	kvPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)
	dsnPassword = regexp.MustCompile(`^([^:/@\s]+):[^@\s]*@`) // MySQL user:pass@tcp(...)
)

// Redact hides the password in a DSN or in a text that may quote one.
func Redact(s string) string {
	s = urlPassword.ReplaceAllString(s, "$1:xxxxx@")
	s = kvPassword.ReplaceAllString(s, "${1}xxxxx")
	if !strings.Contains(s, "://") {
		s = dsnPassword.ReplaceAllString(s, "$1:xxxxx@")
	}
	return s
}

// host names where a connection goes, for messages: never the password.
func host(c Config) string {
	switch c.Driver {
	case SQLite:
		return c.DSN
	case Postgres, ClickHouse:
		if u, err := url.Parse(c.DSN); err == nil && u.Host != "" {
			return u.Host + u.Path
		}
		if m := regexp.MustCompile(`host=(\S+)`).FindStringSubmatch(c.DSN); m != nil {
			return m[1]
		}
	case MySQL:
		if m := regexp.MustCompile(`@\w*\(([^)]*)\)(/\w*)?`).FindStringSubmatch(c.DSN); m != nil {
			return m[1] + m[2]
		}
	}
	return Redact(c.DSN)
}
