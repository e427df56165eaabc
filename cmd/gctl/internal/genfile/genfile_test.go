package genfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Write creates what is missing and rewrites what changed, never a Once
// file that exists; a second run writes nothing; Stale names a generated
// file edited by hand or deleted; an unwritable directory fails and leaves
// the old file whole.
func TestWriteAndStale(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Name: "a/x.gen.go", Data: []byte("x")}, {Name: "y_service.go", Data: []byte("stub"), Once: true}}
	if wrote, err := Write(dir, files); err != nil || !slices.Equal(wrote, []string{"a/x.gen.go", "y_service.go"}) {
		t.Fatalf("first Write = %v, %v", wrote, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "y_service.go"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if wrote, err := Write(dir, files); err != nil || len(wrote) != 0 {
		t.Fatalf("second Write = %v, %v; want nothing", wrote, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "y_service.go")); string(b) != "mine" {
		t.Fatalf("a Once file was overwritten: %q", b)
	}
	if s := Stale(dir, files); len(s) != 0 {
		t.Fatalf("Stale = %v after Write", s)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "x.gen.go"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := Stale(dir, files); !slices.Equal(s, []string{"a/x.gen.go"}) {
		t.Fatalf("Stale = %v; want the edited file", s)
	}
	// a directory where a file goes (as root, permissions stop nothing): the
	// error names the path, the file in the way is untouched
	blocked := []File{{Name: "b/z.gen.go", Data: []byte("z")}}
	if err := os.MkdirAll(filepath.Join(dir, "b", "z.gen.go", "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, blocked); err == nil || !strings.Contains(err.Error(), "z.gen.go") {
		t.Fatalf("Write over a directory = %v; want an error naming the file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "z.gen.go", "keep")); err != nil {
		t.Fatalf("the directory in the way was touched: %v", err)
	}
}
