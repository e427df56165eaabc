package xgorm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gorm.io/gorm"

	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/mysql"
	_ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
	"github.com/goxkit/gox/goxtest"
)

type User struct {
	ID    uint   `gorm:"primaryKey"`
	Email string `gorm:"uniqueIndex;size:190"`
	Name  string `gorm:"size:100"`
}

type Account struct {
	ID      uint `gorm:"primaryKey"`
	UserID  uint
	Balance int
}

type drv struct {
	name string
	cfg  func(t *testing.T) xgorm.Config
}

func sqliteConfig(t *testing.T) xgorm.Config {
	c := xgorm.DefaultConfig()
	c.DSN = filepath.Join(t.TempDir(), "sub", "app.db")
	return c
}

func drivers() []drv {
	return []drv{
		{"sqlite", sqliteConfig},
		{"postgres", func(t *testing.T) xgorm.Config { return xgormtest.Postgres(t) }},
		{"mysql", func(t *testing.T) xgorm.Config { return xgormtest.MySQL(t) }},
	}
}

// open opens one default connection and drops the test tables after the test.
func open(t *testing.T, c xgorm.Config, opts ...xgorm.Option) *xgorm.DB {
	t.Helper()
	db, err := xgorm.Open(context.Background(), xgorm.Configs{"default": c}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	drop := func() {
		_ = db.Default().Migrator().DropTable(&User{}, &Account{}, "notes", "tags", "half", xgorm.MigrationTable)
	}
	drop()
	t.Cleanup(func() { drop(); _ = db.Close() })
	return db
}

func TestDrivers(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			t.Run("TransactionsSpanRepositories", func(t *testing.T) { testTransactions(t, d.cfg(t)) })
			t.Run("MetricsTracesSlowLog", func(t *testing.T) { testObservability(t, d.cfg(t)) })
			t.Run("Migrations", func(t *testing.T) { testMigrations(t, d.cfg(t), d.name != "mysql") })
		})
	}
}

// Two "repositories" write through db.Conn(ctx): inside Transaction both
// commit or neither does.
func testTransactions(t *testing.T, c xgorm.Config) {
	db := open(t, c)
	ctx := context.Background()
	if _, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&User{}, &Account{}}}); err != nil {
		t.Fatal(err)
	}
	createUser := func(ctx context.Context, u *User) error { return db.Conn(ctx).Create(u).Error }
	openAccount := func(ctx context.Context, a *Account) error { return db.Conn(ctx).Create(a).Error }

	err := db.Transaction(ctx, func(ctx context.Context) error {
		if !xgorm.InTransaction(ctx) {
			t.Error("ctx carries no transaction inside Transaction")
		}
		u := &User{Email: "ann@example.com", Name: "Ann"}
		if err := createUser(ctx, u); err != nil {
			return err
		}
		return openAccount(ctx, &Account{UserID: u.ID, Balance: 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("payment refused")
	err = db.Transaction(ctx, func(ctx context.Context) error {
		u := &User{Email: "bob@example.com", Name: "Bob"}
		if err := createUser(ctx, u); err != nil {
			return err
		}
		if err := openAccount(ctx, &Account{UserID: u.ID}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transaction returned %v, want fn's error", err)
	}
	var users, accounts int64
	db.Conn(ctx).Model(&User{}).Count(&users)
	db.Conn(ctx).Model(&Account{}).Count(&accounts)
	if users != 1 || accounts != 1 {
		t.Fatalf("after one commit and one rollback: %d users, %d accounts; want 1 and 1", users, accounts)
	}
	// a nested Transaction is a savepoint: its failure keeps the outer work
	err = db.Transaction(ctx, func(ctx context.Context) error {
		if err := createUser(ctx, &User{Email: "cy@example.com"}); err != nil {
			return err
		}
		_ = db.Transaction(ctx, func(ctx context.Context) error {
			_ = createUser(ctx, &User{Email: "dee@example.com"})
			return boom
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Conn(ctx).Model(&User{}).Count(&users)
	if users != 2 {
		t.Fatalf("after a committed outer and a failed nested transaction: %d users, want 2", users)
	}
	// a duplicate key comes back as gorm.ErrDuplicatedKey on every driver
	if err := createUser(ctx, &User{Email: "ann@example.com"}); !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Fatalf("duplicate email: %v, want gorm.ErrDuplicatedKey", err)
	}
}

func testObservability(t *testing.T, c xgorm.Config) {
	var logs bytes.Buffer
	r := &goxtest.Recorder{}
	sr := tracetest.NewSpanRecorder()
	c.SlowThreshold = time.Nanosecond // every query is slow
	db := open(t, c, xgorm.WithRecorder(r), xgorm.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		xgorm.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))))
	ctx := context.Background()
	if _, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&User{}}}); err != nil {
		t.Fatal(err)
	}
	_ = db.Conn(ctx).Create(&User{Email: "e@example.com"}).Error
	var u User
	if err := db.Conn(ctx).Where("email = ?", "nobody").First(&u).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Fatalf("First of nobody: %v", err)
	}
	_ = db.Conn(ctx).Exec("SELECT * FROM no_such_table").Error
	got := r.String()
	for _, want := range []string{"db default/create users 200", "db default/query users 404", "db default/raw - 500"} {
		if !strings.Contains(got, want) {
			t.Errorf("recorded %q; missing %q", got, want)
		}
	}
	spans := map[string]bool{}
	for _, s := range sr.Ended() {
		spans[s.Name()] = true
	}
	if !spans["create users"] || !spans["query users"] {
		t.Errorf("spans %v", spans)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"slow query"`) || !strings.Contains(out, `"msg":"query failed"`) || !strings.Contains(out, "no_such_table") {
		t.Errorf("log has no slow query and failed query lines:\n%s", out)
	}
	if strings.Count(out, `"msg":"query failed"`) != 1 {
		t.Errorf("a not-found must not be logged as a failure:\n%s", out)
	}
}

func testMigrations(t *testing.T, c xgorm.Config, transactionalDDL bool) {
	db := open(t, c)
	ctx := context.Background()
	m := xgorm.Migrations{Models: []any{&User{}}, SQL: os.DirFS("testdata/migrations")}
	done, err := db.Migrate(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(done, "; ") != "model *xgorm_test.User; up 00001_notes.sql; up 00002_tags.sql" {
		t.Fatalf("Migrate did %q", done)
	}
	if done, _ := db.Migrate(ctx, m); len(done) != 1 { // the model check only
		t.Fatalf("second Migrate did %q, want nothing new", done)
	}
	var name string
	if err := db.Conn(ctx).Raw("SELECT name FROM tags WHERE id = 1").Scan(&name).Error; err != nil || name != "first" {
		t.Fatalf("migration data: %q %v", name, err)
	}
	file, err := db.Rollback(ctx, m)
	if err != nil || file != "00002_tags.sql" {
		t.Fatalf("Rollback: %q %v", file, err)
	}
	if db.Default().Migrator().HasTable("tags") {
		t.Fatal("tags still exists after rolling 00002_tags.sql back")
	}
	st, _ := db.Status(ctx, m)
	if len(st) != 2 || !st[0].Applied || st[1].Applied {
		t.Fatalf("status after rollback: %+v", st)
	}
	_, _ = db.Rollback(ctx, m)
	if file, err := db.Rollback(ctx, m); file != "" || err != nil {
		t.Fatalf("Rollback with nothing applied: %q %v", file, err)
	}

	// a migration failing halfway: the error names the file, earlier ones stay
	// recorded, the failed one is not, and where DDL is transactional its
	// first statement is undone
	broken := xgorm.Migrations{SQL: os.DirFS("testdata/broken")}
	_, err = db.Migrate(ctx, broken)
	if err == nil || !strings.Contains(err.Error(), "migration 00002_half.sql failed") {
		t.Fatalf("broken migration: %v", err)
	}
	st, _ = db.Status(ctx, broken)
	if len(st) != 2 || !st[0].Applied || st[1].Applied {
		t.Fatalf("status after a failed migration: %+v", st)
	}
	if transactionalDDL && db.Default().Migrator().HasTable("half") {
		t.Fatal("the failed migration's CREATE TABLE was not rolled back")
	}
}

func TestSQLiteDefaults(t *testing.T) {
	c := sqliteConfig(t)
	db := open(t, c)
	if _, err := os.Stat(filepath.Dir(c.DSN)); err != nil {
		t.Fatalf("the database directory was not created: %v", err)
	}
	var mode string
	var busy, fk, sync int
	conn := db.Default()
	conn.Raw("PRAGMA journal_mode").Scan(&mode)
	conn.Raw("PRAGMA busy_timeout").Scan(&busy)
	conn.Raw("PRAGMA foreign_keys").Scan(&fk)
	conn.Raw("PRAGMA synchronous").Scan(&sync)
	if mode != "wal" || busy != 5000 || fk != 1 || sync != 1 {
		t.Fatalf("journal_mode %q busy_timeout %d foreign_keys %d synchronous %d; want wal 5000 1 1 (normal)", mode, busy, fk, sync)
	}
	// one writer at a time: the process's statements queue in the pool
	// rather than sleeping in SQLite's busy handler
	sqlDB, err := conn.DB()
	if err != nil {
		t.Fatal(err)
	}
	if n := sqlDB.Stats().MaxOpenConnections; n != 1 {
		t.Fatalf("SQLite pool bound %d; want 1", n)
	}
	c.MaxOpenConns, c.Synchronous = 4, "full"
	c.DSN = filepath.Join(t.TempDir(), "full.db")
	conn = open(t, c).Default()
	conn.Raw("PRAGMA synchronous").Scan(&sync)
	sqlDB, _ = conn.DB()
	if sync != 2 || sqlDB.Stats().MaxOpenConnections != 4 {
		t.Fatalf("synchronous %d, pool bound %d; want 2 (full) and 4 as configured", sync, sqlDB.Stats().MaxOpenConnections)
	}
	c.Synchronous = "sometimes"
	if _, err := xgorm.Open(context.Background(), xgorm.Configs{"default": c}); err == nil || !strings.Contains(err.Error(), `database.default: synchronous "sometimes"`) {
		t.Fatalf("bad synchronous: %v", err)
	}
}

func TestOpenErrorsNameConnectionAndHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfgs xgorm.Configs
		want []string
	}{
		{"bad driver", xgorm.Configs{"default": {Driver: "oracle", DSN: "x"}}, []string{`database.default: driver "oracle" is not one of`}},
		{"no dsn", xgorm.Configs{"reports": {Driver: "postgres"}}, []string{"database.reports: dsn is empty"}},
		{"postgres down", xgorm.Configs{"default": {Driver: "postgres", DSN: "postgres://app:s3cret@127.0.0.1:1/shop?sslmode=disable&connect_timeout=2", PingTimeout: 3 * time.Second}},
			[]string{"database.default (postgres at 127.0.0.1:1/shop): ping", "connection refused"}},
		{"mysql down", xgorm.Configs{"orders": {Driver: "mysql", DSN: "app:s3cret@tcp(127.0.0.1:1)/shop?timeout=2s", PingTimeout: 3 * time.Second}},
			[]string{"database.orders (mysql at 127.0.0.1:1/shop): ", "connection refused"}},
		{"mysql bad dsn", xgorm.Configs{"default": {Driver: "mysql", DSN: "app:s3cret@tcp(127.0.0.1:1/shop"}},
			[]string{"database.default (mysql at "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xgorm.Open(context.Background(), tc.cfgs)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestNamedConnections(t *testing.T) {
	ctx := context.Background()
	db, err := xgorm.Open(ctx, xgorm.Configs{"default": sqliteConfig(t), "reports": sqliteConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := strings.Join(db.Names(), ","); got != "default,reports" {
		t.Fatalf("names %s", got)
	}
	if _, err := db.Get("nope"); err == nil || !strings.Contains(err.Error(), `no connection named "nope" (configured: default, reports)`) {
		t.Fatalf("Get of an unknown name: %v", err)
	}
	if len(db.HealthChecks()) != 2 || db.Ping(ctx) != nil {
		t.Fatal("health checks")
	}
	// a transaction on one connection is not used for the other
	_ = db.Transaction(ctx, func(ctx context.Context) error {
		if xgorm.InTransaction(ctx, "reports") {
			t.Error("reports is in the default connection's transaction")
		}
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/shop":        "postgres://app:xxxxx@db:5432/shop",
		"host=db user=app password=s3cret dbname=x": "host=db user=app password=xxxxx dbname=x",
		"app:s3cret@tcp(db:3306)/shop":              "app:xxxxx@tcp(db:3306)/shop",
		"clickhouse://u:p@ch:9000/default":          "clickhouse://u:xxxxx@ch:9000/default",
	} {
		if got := xgorm.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// The drivers this test binary imports are registered by name, and a
// second registration of a name, or one without a dialector, is refused.
func TestRegister(t *testing.T) {
	if got := strings.Join(xgorm.Drivers(), ","); got != "clickhouse,mysql,postgres,sqlite" {
		t.Fatalf("registered drivers %s; want the four this test imports", got)
	}
	for _, tc := range []struct {
		name string
		d    xgorm.Driver
		want string
	}{
		{xgorm.SQLite, xgorm.Driver{Dialector: func(xgorm.Config) (gorm.Dialector, error) { return nil, nil }}, `xgorm: Register "sqlite": registered twice`},
		{"oracle", xgorm.Driver{}, `xgorm: Register "oracle": the driver has no Dialector`},
	} {
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != tc.want {
					t.Errorf("Register(%q) panicked with %q; want %q", tc.name, got, tc.want)
				}
			}()
			xgorm.Register(tc.name, tc.d)
		}()
	}
	if strings.Contains(strings.Join(xgorm.Drivers(), ","), "oracle") {
		t.Error("a refused driver was registered")
	}
}
