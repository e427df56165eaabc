package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(args ...string) (string, error) {
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(context.Background(), append([]string{"gctl"}, args...))
	return out.String(), err
}

func TestNewRefusals(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// a refusal that is accepted after all must not write into the checkout
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"new", "api", "--name", "bad name"}, `--name "bad name" is not a valid Go module path`},
		{[]string{"new", "api", "--name", "shop", "--queue", "sqs"}, `--queue "sqs" is not supported yet; supported today: database, kafka, rabbitmq, nats, none`},
		{[]string{"new", "rpc", "--name", "shop", "--dir", dir, "--no-tidy"}, "is not empty (it holds notes.txt)"},
		{[]string{"new", "api"}, `"name" not set`},
		{[]string{"repo", "--type", "graph", "--dir", "internal/repo/x"}, `--type "graph" is not one of db, api, es`},
		{[]string{"repo", "--type", "db"}, `"dir" not set`},
	}
	for _, tt := range tests {
		_, err := run(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("gctl %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

func TestNewWritesProject(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	out, err := run("new", "rpc", "--name", "example.com/svc", "--dir", dir, "--no-tidy")
	if err != nil {
		t.Fatal(err, out)
	}
	for _, f := range []string{"main.go", "config.yaml", "api/greeter/v1/greeter_grpc.pb.go", "internal/server/grpc.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(out, "create "+filepath.Join(dir, "main.go")) {
		t.Fatalf("output: %s", out)
	}
}
