package scaffold_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// The generated project is layered handler → service → repository → data:
// each layer imports the one below it and none above, and the handlers never
// reach the stores but through a service.
func TestGeneratedProjectsAreLayered(t *testing.T) {
	// layer → project packages it must import, and those it must not
	rules := map[string]struct{ must, never []string }{
		"internal/handler":        {[]string{"internal/service"}, []string{"internal/repo/greetings", "internal/data", "internal/model", "internal/server"}},
		"internal/service":        {[]string{"internal/repo/greetings"}, []string{"internal/data", "internal/handler", "internal/server"}},
		"internal/repo/greetings": {nil, []string{"internal/service", "internal/handler", "internal/server"}},
		"internal/server":         {[]string{"internal/handler", "internal/service"}, []string{"internal/data", "internal/repo/greetings"}},
		"internal/cmd":            {[]string{"internal/server", "internal/service", "internal/repo/greetings"}, nil},
		"internal/data/datatest":  {nil, []string{"internal/service", "internal/handler", "internal/server"}},
	}
	for _, o := range []scaffold.Options{
		{Kind: "api", Name: "shop"},
		{Kind: "api", Name: "example.com/shop-lite", DB: "none", Cache: "none", Queue: "none"},
		{Kind: "rpc", Name: "user", DB: "postgres", Queue: "kafka"},
	} {
		t.Run(o.Kind+"_"+filepath.Base(o.Name), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := scaffold.Render(o, dir, "", false); err != nil {
				t.Fatal(err)
			}
			for pkg, r := range rules {
				imports, ok := projectImports(t, filepath.Join(dir, pkg), o.Name+"/")
				if !ok {
					if pkg == "internal/data/datatest" && o.DB == "none" {
						continue // no stores, no datatest
					}
					t.Errorf("%s is missing", pkg)
					continue
				}
				for _, m := range r.must {
					if !slices.Contains(imports, m) {
						t.Errorf("%s does not import %s (it imports %v)", pkg, m, imports)
					}
				}
				for _, n := range r.never {
					if slices.Contains(imports, n) {
						t.Errorf("%s imports %s, a layer it must not reach", pkg, n)
					}
				}
			}
			if o.DB != "none" {
				if _, err := os.Stat(filepath.Join(dir, "internal/repo/greetings/db.go")); err != nil {
					t.Errorf("with a database the repository has no database implementation: %v", err)
				}
			} else if _, err := os.Stat(filepath.Join(dir, "internal/repo/greetings/db.go")); err == nil {
				t.Error("--db none generated the database repository")
			}
		})
	}
}

// projectImports lists the project packages (module prefix stripped) the
// non-test Go files of dir import; ok is false when dir holds none.
func projectImports(t *testing.T, dir, module string) (imports []string, ok bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ok = true
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range file.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if rest, found := strings.CutPrefix(p, module); found && !slices.Contains(imports, rest) {
				imports = append(imports, rest)
			}
		}
	}
	return imports, ok
}

// The service links the driver of the database it was made with and no
// other: internal/data imports that xgorm driver sub-package alone.
func TestImportsTheDatabaseDriver(t *testing.T) {
	const drivers = "github.com/goxkit/gox/contrib/database/xgorm/"
	for _, db := range []string{"sqlite", "mysql", "postgres", "clickhouse", "none"} {
		t.Run(db, func(t *testing.T) {
			dir := t.TempDir()
			o := scaffold.Options{Kind: "api", Name: "shop", DB: db, Queue: "memory"}
			if _, err := scaffold.Render(o, dir, "", false); err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "internal", "data", "data.go"), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, drivers) {
					got = append(got, strings.TrimPrefix(p, drivers))
				}
			}
			want := []string{db}
			if db == "none" {
				want = nil
			}
			if !slices.Equal(got, want) {
				t.Errorf("--db %s: internal/data imports the drivers %v; want %v", db, got, want)
			}
		})
	}
}
