package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// TestDeploy is gctl deploy as a user runs it: inside a project gctl new
// wrote, twice, after an edit, and outside any project.
func TestDeploy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	o := scaffold.Options{Kind: "rpc", Name: "shop", Metric: "prom", DB: "sqlite", Cache: "memory", Registry: "memory"}
	if _, err := scaffold.Render(o, dir, "", false); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "internal"))
	out, err := run("deploy")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"write " + filepath.Join(dir, "deploy", "Dockerfile"), "write " + filepath.Join(dir, ".dockerignore")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EXPOSE 8080\nEXPOSE 9090\n", `ENTRYPOINT ["/app/shop"]`, "/out/data /app/data"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if out, err := run("deploy"); err != nil || !strings.Contains(out, "nothing to change") {
		t.Errorf("second run: %v\n%s", err, out)
	}
	ignore := filepath.Join(dir, ".dockerignore")
	if err := os.WriteFile(ignore, []byte("# mine\n.git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run("deploy"); err != nil || !strings.Contains(out, "keep  "+ignore+" (edited") {
		t.Errorf("after an edit: %v\n%s", err, out)
	}

	t.Chdir(t.TempDir())
	out, err = run("deploy")
	if err == nil || !strings.Contains(err.Error(), "looks for go.mod, main.go, config.yaml") {
		t.Errorf("outside a project: %v\n%s", err, out)
	}
}
