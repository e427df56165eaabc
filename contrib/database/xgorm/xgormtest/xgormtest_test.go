package xgormtest

import (
	"context"
	"strings"
	"testing"

	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/mysql"
	_ "github.com/goxkit/gox/contrib/database/xgorm/postgres"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
	"github.com/goxkit/gox/goxtest"
)

func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }

// A fresh database is empty, apart from the one it was made from, and gone
// after the test.
func TestFresh(t *testing.T) {
	for name, cfg := range Drivers() {
		t.Run(name, func(t *testing.T) {
			base := cfg(t)
			var fresh xgorm.Config
			t.Run("use", func(t *testing.T) {
				fresh = Fresh(t, base)
				if fresh.DSN == base.DSN {
					t.Fatalf("Fresh kept the DSN %s", xgorm.Redact(base.DSN))
				}
				db := open(t, fresh)
				defer db.Close()
				if err := db.Default().Exec("CREATE TABLE only_here (id int)").Error; err != nil {
					t.Fatal(err)
				}
				if name != xgorm.SQLite && !exists(t, base, fresh) {
					t.Fatal("the fresh database is not on the server")
				}
			})
			if name == xgorm.SQLite {
				return // a file in the subtest's temporary directory, removed with it
			}
			if exists(t, base, fresh) {
				t.Fatal("the fresh database was not dropped after its test")
			}
			db := open(t, base)
			defer db.Close()
			if db.Default().Migrator().HasTable("only_here") {
				t.Fatal("a table made in the fresh database is in the one it was made from")
			}
		})
	}
}

func open(t *testing.T, c xgorm.Config) *xgorm.DB {
	t.Helper()
	db, err := xgorm.Open(context.Background(), xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// exists reports whether fresh's database is on base's server.
func exists(t *testing.T, base, fresh xgorm.Config) bool {
	t.Helper()
	db := open(t, base)
	defer db.Close()
	q := "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?"
	if base.Driver == xgorm.Postgres {
		q = "SELECT COUNT(*) FROM pg_database WHERE datname = ?"
	}
	var n int64
	if err := db.Default().Raw(q, databaseOf(fresh)).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// databaseOf is the database a DSN names: what follows the last / before the ?.
func databaseOf(c xgorm.Config) string {
	path, _, _ := strings.Cut(c.DSN, "?")
	return path[strings.LastIndexByte(path, '/')+1:]
}

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ driver, dsn, want string }{
		{xgorm.Postgres, "postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/x?sslmode=disable"},
		{xgorm.Postgres, "postgres://u@h", "postgres://u@h/x"},
		{xgorm.MySQL, "u:p@tcp(h:3306)/test?parseTime=true", "u:p@tcp(h:3306)/x?parseTime=true"},
		{xgorm.MySQL, "u:p@tcp(h:3306)/test", "u:p@tcp(h:3306)/x"},
		{xgorm.MySQL, "u:p@tcp(h:3306)/", "u:p@tcp(h:3306)/x"},
	} {
		if got, err := withDatabase(c.driver, c.dsn, "x"); err != nil || got != c.want {
			t.Errorf("withDatabase(%s, %q) = %q, %v; want %q", c.driver, c.dsn, got, err, c.want)
		}
	}
	for _, c := range []struct{ driver, dsn, want string }{
		{xgorm.Postgres, "host=h user=u password=secret", "must be a URL"},
		{xgorm.MySQL, "u:secret@tcp(h:3306)", "no /database"},
	} {
		_, err := withDatabase(c.driver, c.dsn, "x")
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("withDatabase(%s, %q): %v; want an error saying %q without the password", c.driver, c.dsn, err, c.want)
		}
	}
}
