package sqlite_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
)

// A program that imports xgorm and xgorm/sqlite opens SQLite, and is told
// which import to add for a database it did not link.
func TestOpenLinksOnlyImportedDrivers(t *testing.T) {
	ctx := context.Background()
	c := xgorm.DefaultConfig()
	c.DSN = filepath.Join(t.TempDir(), "app.db")
	db, err := xgorm.Open(ctx, xgorm.Configs{xgorm.DefaultName: c})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	_ = db.Close()
	if got := strings.Join(xgorm.Drivers(), ","); got != xgorm.SQLite {
		t.Errorf("registered drivers %s; want sqlite alone", got)
	}
	for _, name := range []string{xgorm.Postgres, xgorm.MySQL, xgorm.ClickHouse} {
		pg := xgorm.Config{Driver: name, DSN: "postgres://app:s3cret@127.0.0.1:1/shop"}
		_, err := xgorm.Open(ctx, xgorm.Configs{"reports": pg, xgorm.DefaultName: c})
		want := `database.reports: driver "` + name + `" is not linked into this program: add import _ "github.com/goxkit/gox/contrib/database/xgorm/` + name + `"`
		if err == nil || err.Error() != want {
			t.Errorf("open %s without its driver: %v; want %s", name, err, want)
		}
	}
}

// The drivers a program does not import are not in its build: xgorm plus
// xgorm/sqlite reaches SQLite's driver and none of the others.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list the dependencies: %v", err)
	}
	const xg = "github.com/goxkit/gox/contrib/database/xgorm"
	drivers := map[string]string{ // the module of each database's own driver
		"sqlite":     "modernc.org/sqlite",
		"postgres":   "github.com/jackc/pgx/v5",
		"mysql":      "github.com/go-sql-driver/mysql",
		"clickhouse": "github.com/ClickHouse/clickhouse-go/v2",
	}
	for _, linked := range []string{"", "sqlite", "postgres", "mysql", "clickhouse"} {
		t.Run("xgorm+"+linked, func(t *testing.T) {
			args := []string{"list", "-deps", xg}
			if linked != "" {
				args = append(args, xg+"/"+linked)
			}
			out, err := exec.Command(goTool, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			deps := strings.Fields(string(out))
			for name, module := range drivers {
				got := slices.ContainsFunc(deps, func(p string) bool { return p == module || strings.HasPrefix(p, module+"/") })
				if want := name == linked; got != want {
					t.Errorf("xgorm with %q linked reaches %s: %v; want %v", linked, module, got, want)
				}
			}
		})
	}
}
