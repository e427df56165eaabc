package scaffold_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

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
