package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
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

// walk calls fn for c and every command below it, with the words that run it.
func walk(c *cli.Command, path []string, fn func(path []string, c *cli.Command)) {
	fn(path, c)
	for _, sub := range c.Commands {
		walk(sub, append(slices.Clone(path), sub.Name), fn)
	}
}

// flagLine is one flag of a help page: its names, then a placeholder when it
// takes a value (`--dir dir`), a tab, then the usage.
var flagLine = regexp.MustCompile(`^--[a-z][a-z-]*(, -[a-z])?( [a-z][a-z-]*)?\t`)

// Every flag of every command reads as `--flag` or `--flag value`: a word in
// back quotes in a usage text is not taken as the value's placeholder
// (`--no-tidy go mod tidy` was printed), and what `gctl <cmd> --help` prints
// holds every flag's usage.
func TestHelpHasNoStrayPlaceholders(t *testing.T) {
	walk(newApp(), []string{"gctl"}, func(path []string, c *cli.Command) {
		for _, f := range c.VisibleFlags() {
			line := cli.FlagStringer(f)
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: flag shown as %q", strings.Join(path, " "), line)
				continue
			}
			if vf, ok := f.(cli.DocGenerationFlag); ok && !vf.TakesValue() && m[2] != "" {
				t.Errorf("%s: switch shown with a value: %q", strings.Join(path, " "), line)
			}
			if strings.Contains(line, "`") {
				t.Errorf("%s: a back quote left in %q", strings.Join(path, " "), line)
			}
		}
		out, err := run(append(path[1:], "--help")...)
		if err != nil {
			t.Fatalf("%s --help: %v", strings.Join(path, " "), err)
		}
		if strings.Contains(out, "`") || strings.Contains(out, "--no-tidy go") {
			t.Errorf("%s --help:\n%s", strings.Join(path, " "), out)
		}
	})
}
