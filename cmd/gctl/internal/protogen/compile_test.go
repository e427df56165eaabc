package protogen

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
)

// writeFiles writes name -> content under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// compileErr compiles and wants a CompileErrors; it returns its lines.
func compileErr(t *testing.T, opts CompileOptions) []string {
	t.Helper()
	_, err := Compile(opts)
	if err == nil {
		t.Fatal("Compile succeeded, want an error")
	}
	var ce CompileErrors
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v, want CompileErrors", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

const header = "syntax = \"proto3\";\npackage p;\noption go_package = \"example.com/p;p\";\n"

func TestCompileReportsEveryErrorWithPosition(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		// a syntax error: a field without a number
		"a.proto": header + "message A {\n  string name = ;\n}\n",
		// a field number used twice
		"b.proto": header + "message B {\n  string x = 2;\n  string y = 2;\n}\n",
		// a type that does not exist (protocompile links only a file
		// without syntax errors, so this is a file of its own)
		"c.proto": "syntax = \"proto3\";\npackage c;\nmessage C {\n  Missing m = 1;\n}\n",
		// unknown imports, next to well-known types, in two files
		"d.proto": header + "import \"google/protobuf/empty.proto\";\nimport \"nope.proto\";\n",
		"e.proto": header + "import \"d.proto\";\nimport \"nope/too.proto\";\n",
	})
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto", "b.proto", "c.proto", "d.proto", "e.proto"}})
	wantLines(t, got,
		"a.proto:5:17: syntax error: unexpected ';', expecting int literal",
		"b.proto:6:14: message p.B: fields x and y both have the same tag 2",
		"c.proto:4:3: field c.C.m: unknown type Missing",
		"d.proto:5:8: nope.proto: not found in import paths "+dir,
		"e.proto:5:8: nope/too.proto: not found in import paths "+dir,
	)
}

// Errors in imports (not asked for) are reported with the importer's, every
// run, although protocompile stops at the first failing import.
func TestCompileReportsErrorsInImports(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.proto":   header + "import \"gone.proto\";\nimport \"b.proto\";\nmessage A { Nope n = 1; }\n",
		"b.proto":   header + "import \"c.proto\";\nmessage B {\n  int32 x = ;\n}\n",
		"c.proto":   header + "import \"d.proto\";\nimport \"gone/too.proto\";\n",
		"d.proto":   header + "message D { Unknown u = 1; }\n",
		"z.proto":   header + "message Z {}\n", // not imported: not read, not reported
		"bad.proto": "not a proto file\n",      // idem
	})
	for range 20 {
		got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
		wantLines(t, got,
			"a.proto:4:8: gone.proto: not found in import paths "+dir,
			"b.proto:6:13: syntax error: unexpected ';', expecting int literal",
			"c.proto:5:8: gone/too.proto: not found in import paths "+dir,
			"d.proto:4:13: field p.D.u: unknown type Unknown",
		)
	}
}

func TestCompileErrorsAreErrorWithPos(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.proto": header + "message A {\n  string name = ;\n}\n"})
	_, err := Compile(CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	var ewp reporter.ErrorWithPos
	if !errors.As(err, &ewp) {
		t.Fatalf("%v: no reporter.ErrorWithPos", err)
	}
	if pos := ewp.GetPosition(); pos.Filename != "a.proto" || pos.Line != 5 || pos.Col != 17 {
		t.Errorf("position %v, want a.proto:5:17", pos)
	}
}

func TestCompileUnknownImport(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.proto": header + "import \"nope/missing.proto\";\n"})
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	wantLines(t, got, "a.proto:4:8: nope/missing.proto: not found in import paths "+dir)
}

func TestCompileImportCycle(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.proto": header + "import \"b.proto\";\n",
		"b.proto": header + "import \"c.proto\";\n",
		"c.proto": header + "import \"a.proto\";\n",
	})
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	// Which import closes the cycle depends on the order the files are
	// parsed in: accept any of the three.
	ok := false
	for _, want := range []string{
		`a.proto:4:8: cycle found in imports: "a.proto" -> "b.proto" -> "c.proto" -> "a.proto"`,
		`b.proto:4:8: cycle found in imports: "b.proto" -> "c.proto" -> "a.proto" -> "b.proto"`,
		`c.proto:4:8: cycle found in imports: "c.proto" -> "a.proto" -> "b.proto" -> "c.proto"`,
	} {
		ok = ok || len(got) == 1 && got[0] == want
	}
	if !ok {
		t.Errorf("got %q, want the cycle at the import that closes it", got)
	}
}

func TestCompileSelfImport(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.proto": header + "import \"a.proto\";\n"})
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	wantLines(t, got, `a.proto:4:8: cycle found in imports: "a.proto" -> "a.proto"`)
}

func TestCompileInputInTwoImportPaths(t *testing.T) {
	one := writeFiles(t, map[string]string{"a.proto": header})
	two := writeFiles(t, map[string]string{"a.proto": header + "message Other {}\n"})
	got := compileErr(t, CompileOptions{ImportPaths: []string{one, two}, Files: []string{"a.proto"}})
	wantLines(t, got, "a.proto: found in more than one import path ("+filepath.ToSlash(one)+"/a.proto, "+filepath.ToSlash(two)+"/a.proto)")
}

// An import in more than one import path is the first one's, as with protoc.
func TestCompileImportFirstImportPathWins(t *testing.T) {
	one := writeFiles(t, map[string]string{"dep.proto": header + "message First {}\n", "a.proto": header + "import \"dep.proto\";\nmessage A { First f = 1; }\n"})
	two := writeFiles(t, map[string]string{"dep.proto": header + "message Second {}\n"})
	if _, err := Compile(CompileOptions{ImportPaths: []string{one, two}, Files: []string{"a.proto"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCompileUnreadableFile(t *testing.T) {
	// A directory where a file should be: unreadable even to root.
	dir := writeFiles(t, map[string]string{"dir.proto/x": "", "a.proto": header + "import \"dir.proto\";\n"})
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	wantLines(t, got, "a.proto:4:8: "+filepath.ToSlash(dir)+"/dir.proto: is a directory")

	got = compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"dir.proto"}})
	if len(got) != 1 || !strings.Contains(got[0], "dir.proto: is a directory") {
		t.Errorf("got %q", got)
	}
}

func TestCompileMissingInput(t *testing.T) {
	dir := t.TempDir()
	got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{"x.proto", "../x.proto"}})
	wantLines(t, got,
		"x.proto: not found in import paths "+dir,
		"../x.proto: not a relative slash-separated path inside an import path")
}

// Nothing outside the import paths is read: no "..", no absolute name, no
// symlink out of the directory.
func TestCompileStaysInImportPaths(t *testing.T) {
	outside := writeFiles(t, map[string]string{"secret.proto": header + "message Secret {}\n"})
	dir := writeFiles(t, map[string]string{
		"dotdot.proto": header + "import \"../" + filepath.Base(outside) + "/secret.proto\";\n",
		"abs.proto":    header + "import \"" + filepath.ToSlash(outside) + "/secret.proto\";\n",
		"link.proto":   header + "import \"out/secret.proto\";\n",
	})
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dotdot.proto", "abs.proto", "link.proto"} {
		t.Run(f, func(t *testing.T) {
			got := compileErr(t, CompileOptions{ImportPaths: []string{dir}, Files: []string{f}})
			if len(got) != 1 || !strings.HasPrefix(got[0], f+":4:8: ") {
				t.Errorf("got %q, want one error at the import", got)
			}
		})
	}
}

func TestCompileSameFileTwice(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.proto": header + "message A {}\n"})
	files, err := Compile(CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto", "a.proto"}})
	if err != nil || len(files) != 1 {
		t.Fatalf("Compile = %d files, %v; want a.proto once", len(files), err)
	}
	out, err := Generate(append(files, files...), GenOptions{})
	if err != nil || len(out) != 1 {
		t.Fatalf("Generate = %d files, %v; want a.pb.go once", len(out), err)
	}
}

func TestCompileNeedsImportPathAndFiles(t *testing.T) {
	if _, err := Compile(CompileOptions{Files: []string{"a.proto"}}); err == nil {
		t.Error("no import path: no error")
	}
	if _, err := Compile(CompileOptions{ImportPaths: []string{t.TempDir()}}); err == nil {
		t.Error("no file: no error")
	}
	if _, err := Compile(CompileOptions{ImportPaths: []string{filepath.Join(t.TempDir(), "none")}, Files: []string{"a.proto"}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing import path: %v", err)
	}
}

// google/api and buf/validate come from the Go registry, the well-known
// types are built in, and a file of the same name in the import paths wins.
func TestCompileRegistryImports(t *testing.T) {
	src := header + `import "google/api/annotations.proto";
import "google/api/field_behavior.proto";
import "buf/validate/validate.proto";
import "google/protobuf/timestamp.proto";
message R {
  string name = 1 [(google.api.field_behavior) = REQUIRED, (buf.validate.field).string.min_len = 1];
  google.protobuf.Timestamp at = 2;
}
service S {
  rpc Get(R) returns (R) { option (google.api.http) = {get: "/v1/{name=r/*}"}; }
}
`
	dir := writeFiles(t, map[string]string{"a.proto": src})
	files, err := Compile(CompileOptions{ImportPaths: []string{dir}, Files: []string{"a.proto"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := importOf(files[0], "google/api/annotations.proto").(linker.Result); ok {
		t.Error("google/api/annotations.proto compiled from source, want the registry's")
	}

	// A local google/api/http.proto (same contents as googleapis') is used
	// instead of the registry's.
	local := writeFiles(t, map[string]string{"a.proto": header + "import \"google/api/http.proto\";\nmessage M { google.api.HttpRule rule = 1; }\n",
		"google/api/http.proto": "syntax = \"proto3\";\npackage google.api;\nmessage HttpRule { string get = 2; }\n"})
	files, err = Compile(CompileOptions{ImportPaths: []string{local}, Files: []string{"a.proto"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := importOf(files[0], "google/api/http.proto").(linker.Result); !ok {
		t.Error("google/api/http.proto from the registry, want the local file")
	}
}

func importOf(f linker.File, name string) any {
	for i := range f.Imports().Len() {
		if imp := f.Imports().Get(i); imp.Path() == name {
			return imp.FileDescriptor
		}
	}
	return nil
}

// FuzzCompile compiles one in-memory file: whatever the input, Compile must
// not panic, and every error it reports names the file and a position.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/corpus/*/v1/*.proto")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(header + "message A {\n  string name = ;\n}\n"))
	f.Add([]byte(header + "import \"fuzz.proto\";\n"))
	f.Add([]byte("edition = \"2023\";\npackage e;\nmessage M { int32 a = 1 [features.field_presence = LEGACY_REQUIRED]; }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		find := func(name string) (protocompile.SearchResult, error) {
			if name == "fuzz.proto" {
				return protocompile.SearchResult{Source: bytes.NewReader(src)}, nil
			}
			return protocompile.SearchResult{}, fs.ErrNotExist
		}
		files, err := compile(context.Background(), []string{"fuzz.proto"}, find)
		if err != nil {
			var ce CompileErrors
			if !errors.As(err, &ce) || len(ce) == 0 {
				t.Fatalf("error %T %v, want a non-empty CompileErrors", err, err)
			}
			for _, e := range ce {
				var ewp reporter.ErrorWithPos
				if errors.As(e, &ewp) && ewp.GetPosition().Filename == "" {
					t.Errorf("error without a file name: %v", e)
				}
			}
			return
		}
		// Generating from what compiled must not panic either (it may fail:
		// no go_package, for one).
		_, _ = Generate(files, GenOptions{Parameter: "Mfuzz.proto=example.com/fuzz;fuzz"})
	})
}
