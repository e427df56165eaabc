package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chdir runs the rest of the test in dir.
func chdir(t *testing.T, dir string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
}

const boardProto = `syntax = "proto3";

package board.v1;

import "google/api/annotations.proto";

option go_package = "example.com/board/api/board/v1;boardv1";

// Board keeps notes.
service Board {
  // GetNote returns one note.
  rpc GetNote(GetNoteRequest) returns (Note) {
    option (google.api.http) = {get: "/v1/notes/{id}"};
  }
  rpc Watch(GetNoteRequest) returns (stream Note);
}

message GetNoteRequest { int64 id = 1; }
message Note {
  int64 id = 1;
  string text = 2;
}
`

// gctl gen proto in a project: every .proto under api/ gives its message,
// gRPC and HTTP-binding code and the OpenAPI document, with no protoc on
// PATH; a second run changes nothing; --check names a file edited by hand;
// a syntax error is reported at file:line:column and writes nothing.
func TestGenProto(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	t.Setenv("PATH", "") // nothing to run: no protoc, no plugins
	if err := os.MkdirAll(filepath.Join("api", "board", "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/board\n\ngo 1.26\n")
	write(filepath.Join("api", "board", "v1", "board.proto"), boardProto)
	out, err := run("gen", "proto")
	if err != nil {
		t.Fatalf("gen proto: %v\n%s", err, out)
	}
	for _, f := range []string{"board.pb.go", "board_grpc.pb.go", "board_http.gox.go"} {
		if !strings.Contains(out, filepath.Join("api", "board", "v1", f)) {
			t.Errorf("output does not name %s:\n%s", f, out)
		}
	}
	doc, err := os.ReadFile(filepath.Join("api", "openapi.json"))
	if err != nil || !strings.Contains(string(doc), `"/v1/notes/{id}"`) || !strings.Contains(string(doc), `"title": "board"`) {
		t.Fatalf("api/openapi.json: %v\n%.400s", err, doc)
	}
	grpc, _ := os.ReadFile(filepath.Join("api", "board", "v1", "board_grpc.pb.go"))
	if !strings.Contains(string(grpc), "grpc.ServerStreamingClient[Note]") || !strings.Contains(string(grpc), "UnimplementedBoardServer") {
		t.Fatalf("board_grpc.pb.go lacks the stream or the Unimplemented server:\n%.600s", grpc)
	}
	if out, err := run("gen", "proto"); err != nil || !strings.Contains(out, "nothing to change") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if out, err := run("gen", "proto", "--check"); err != nil {
		t.Fatalf("--check after gen: %v\n%s", err, out)
	}
	write(filepath.Join("api", "board", "v1", "board_http.gox.go"), "package boardv1\n")
	if _, err := run("gen", "proto", "--check"); err == nil || !strings.Contains(err.Error(), "board_http.gox.go") {
		t.Fatalf("--check with an edited file: %v; want it named", err)
	}
	write(filepath.Join("api", "board", "v1", "board.proto"), strings.Replace(boardProto, "int64 id = 1; }", "int64 id = 1 }", 1))
	if _, err := run("gen", "proto"); err == nil || !strings.Contains(err.Error(), "api/board/v1/board.proto:18:39: syntax error") {
		t.Fatalf("syntax error: %v; want it at api/board/v1/board.proto:18:39", err)
	}
	if b, _ := os.ReadFile(filepath.Join("api", "board", "v1", "board_http.gox.go")); string(b) != "package boardv1\n" {
		t.Fatal("a failed run wrote files")
	}
}
