package repo_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goxkit/gox/cmd/gctl/internal/repo"
	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// project scaffolds a service (SQLite and the memory cache unless o says
// otherwise) into a temp dir against this checkout.
func project(t *testing.T, o scaffold.Options) string {
	t.Helper()
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("FindSource found no gox checkout")
	}
	dir := filepath.Join(t.TempDir(), o.Name)
	if _, err := scaffold.Render(o, dir, source, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

func gocmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestGeneratedRepositoriesPass generates every kind of repository into one
// project and runs its go vet and tests (SQLite for db; fakes for api, es).
func TestGeneratedRepositoriesPass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project")
	}
	dir := project(t, scaffold.Options{Kind: "api", Name: "shop"})
	for _, o := range []repo.Options{
		{Type: "db", Model: "Greeting", Dir: "internal/repo/greeting"},
		{Type: "db", Model: "Greeting", Dir: "internal/repo/cachedgreeting", Cache: true},
		{Type: "api", Dir: "internal/repo/userapi", Cache: true},
		{Type: "api", Dir: "internal/repo/plainapi"},
		{Type: "es", Dir: "internal/repo/article", Cache: true},
	} {
		o.Root = dir
		files, err := repo.Generate(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if !strings.HasPrefix(string(b), "// scaffolded by gctl repo; safe to edit.") {
				t.Errorf("%s lacks the header", f)
			}
		}
	}
	gocmd(t, dir, "get", "github.com/elastic/go-elasticsearch/v8@v8.19.7")
	gocmd(t, dir, "mod", "tidy")
	gocmd(t, dir, "vet", "./...")
	gocmd(t, dir, "test", "./internal/repo/...")
}

func TestRefusals(t *testing.T) {
	dir := project(t, scaffold.Options{Kind: "api", Name: "shop"})
	bare := project(t, scaffold.Options{Kind: "api", Name: "bare", DB: "none", Cache: "none"})
	if _, err := repo.Generate(repo.Options{Type: "db", Model: "Greeting", Dir: "internal/repo/greeting", Root: dir}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o    repo.Options
		want string
	}{
		{repo.Options{Type: "sql", Dir: "internal/repo/x", Root: dir}, `--type "sql" is not one of db, api, es`},
		{repo.Options{Type: "db", Model: "Order", Dir: "internal/repo/order", Root: dir}, `model "Order" not found in internal/model (models there: Greeting)`},
		{repo.Options{Type: "db", Dir: "internal/repo/order", Root: dir}, "--model is required with --type db"},
		{repo.Options{Type: "db", Model: "Greeting", Dir: "internal/repo/greeting", Root: dir}, "greeting/repo.go, " + filepath.Join(dir, "internal/repo/greeting/repo_test.go") + " exists; gctl repo never overwrites a file without --force"},
		{repo.Options{Type: "db", Model: "Greeting", Dir: "../outside", Root: dir}, "must be a directory inside the project"},
		{repo.Options{Type: "api", Dir: "internal/repo/User-API", Root: dir}, "must be a valid package name"},
		{repo.Options{Type: "db", Model: "Greeting", Dir: "internal/repo/g", Root: bare}, "internal/data has no database"},
		{repo.Options{Type: "api", Dir: "internal/repo/u", Cache: true, Root: bare}, "internal/data has no cache"},
		{repo.Options{Type: "api", Dir: "internal/repo/u", Root: t.TempDir()}, "no go.mod"},
	} {
		_, err := repo.Generate(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	// --force overwrites, and a refused run wrote nothing
	if _, err := os.Stat(filepath.Join(dir, "internal/repo/order")); !os.IsNotExist(err) {
		t.Fatal("a refused run created its directory")
	}
	if _, err := repo.Generate(repo.Options{Type: "db", Model: "Greeting", Dir: "internal/repo/greeting", Root: dir, Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
}
