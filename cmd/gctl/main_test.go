package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
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
		{[]string{"new", "api", "--name", "shop", "--queue", "sqs"}, `--queue "sqs" is not supported yet; supported today: database, memory, kafka, rabbitmq, nats, none`},
		{[]string{"new", "rpc", "--name", "shop", "--dir", dir, "--no-tidy"}, "is not empty (it holds notes.txt)"},
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

// Without --name the service is named after the directory it is written
// into, which must be a usable name and empty but for version control.
func TestNewWithoutNameRefusals(t *testing.T) {
	for _, tt := range []struct {
		dir   string
		files []string
		want  string
	}{
		{"my app", nil, `the directory's name "my app" is not a valid Go module path`},
		{"9lives", nil, `the directory's name "9lives" is not valid: the last path element must start with a letter`},
		{"shop", []string{".git/HEAD", "notes.txt", ".vscode/settings.json", "go.mod"}, "(the current directory) is not empty (it holds go.mod, notes.txt)"},
	} {
		dir := filepath.Join(t.TempDir(), tt.dir)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range tt.files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(dir)
		before, _ := os.ReadDir(dir)
		_, err := run("new", "api", "--no-tidy")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("gctl new api in %q: err = %v, want %q", tt.dir, err, tt.want)
		}
		if after, _ := os.ReadDir(dir); len(after) != len(before) {
			t.Errorf("a refused gctl new wrote into %s: %v", dir, after)
		}
	}
}

// The quick start: mkdir demo && cd demo && gctl new api && go run main.go.
// The project is written into the directory (.git is no obstacle), named
// after it, and main.go builds on its own (its commands are a package).
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project")
	}
	demo := filepath.Join(t.TempDir(), "demo")
	if err := os.MkdirAll(filepath.Join(demo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(demo)
	t.Setenv("GOWORK", "off") // the project lives outside the checkout's workspace
	t.Setenv("GOFLAGS", "")
	out, err := run("new", "api")
	if err != nil {
		t.Fatal(err, out)
	}
	if gomod, _ := os.ReadFile("go.mod"); !strings.Contains(string(gomod), "\nmodule demo\n") {
		t.Fatalf("go.mod:\n%s", gomod)
	}
	if strings.Contains(out, "cd ") || !strings.Contains(out, "go run main.go") {
		t.Errorf("the next steps are not for the current directory:\n%s", out)
	}
	for _, args := range [][]string{{"build", "-o", "demo.bin", "main.go"}, {"vet", "./..."}} {
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	help, err := exec.Command("./demo.bin", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "serve") || !strings.Contains(string(help), "db") {
		t.Fatalf("demo --help: %v\n%s", err, help)
	}

	// --name still creates ./<name>
	t.Chdir(t.TempDir())
	if out, err := run("new", "rpc", "--name", "example.com/shop", "--no-tidy"); err != nil {
		t.Fatal(err, out)
	}
	if gomod, err := os.ReadFile(filepath.Join("shop", "go.mod")); err != nil || !strings.Contains(string(gomod), "\nmodule example.com/shop\n") {
		t.Fatalf("./shop/go.mod: %v\n%s", err, gomod)
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
var flagLine = regexp.MustCompile(`^--[a-z][a-z-]*( [a-z][a-z-]*)?(, -[a-zA-Z]( [a-z][a-z-]*)?)?( \[ [^]]+ \])?\t`)

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

// Flag values of gox's first design are accepted as aliases, and the help
// says so.
func TestHelpListsAliases(t *testing.T) {
	out, err := run("new", "api", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for flag, aliases := range scaffold.Aliases {
		for alias := range aliases {
			line := regexp.MustCompile(`(?m)^ *--` + flag + ` .*$`).FindString(out)
			if !regexp.MustCompile(`alias(es)? ([a-z]+, )*` + alias + `\b`).MatchString(line) {
				t.Errorf("--%s does not list the alias %s: %q", flag, alias, line)
			}
		}
	}
	if !strings.Contains(out, "jaeger (OTLP, on from the start, to a local Jaeger at localhost:4317") {
		t.Errorf("--trace jaeger is not explained:\n%s", out)
	}
}

// requireEnv returns the variable that points the test at a real server; when
// it is unset the test fails in CI (so CI cannot pass by skipping) and is
// skipped elsewhere.
func requireEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set; start Jaeger with: source ci/lib.sh; source ci/jaeger.sh; install_jaeger; start_jaeger"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// gctl new api --trace jaeger --queue local --cache sync: flag values of
// gox's first design (aliases). The service exports its spans to Jaeger
// from the start (no TRACE_EXPORTER needed; OTEL_EXPORTER_OTLP_ENDPOINT
// moves it off localhost:4317) and serve runs the in-process queue's
// consumers.
func TestTraceJaegerAndLocalQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a project")
	}
	query, otlp := requireEnv(t, "JAEGER_QUERY_URL"), requireEnv(t, "JAEGER_OTLP_GRPC")
	name := fmt.Sprintf("traced-%d", time.Now().UnixNano()) // Jaeger keeps earlier runs' traces
	dir := filepath.Join(t.TempDir(), name)
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "")
	if out, err := run("new", "api", "--name", name, "--dir", dir, "--trace", "jaeger", "--queue", "local", "--cache", "sync", "--db", "sqlite"); err != nil {
		t.Fatal(err, out)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	raw, err := os.ReadFile(cfgFile)
	if err != nil || !strings.Contains(string(raw), "exporter: ${TRACE_EXPORTER:-otlp-grpc}") ||
		!strings.Contains(string(raw), "endpoint: ${OTEL_EXPORTER_OTLP_ENDPOINT:-localhost:4317}") || !strings.Contains(string(raw), "driver: memory") {
		t.Fatalf("config.yaml: %v\n%s", err, raw)
	}
	build := exec.Command("go", "build", "-o", "svc", "main.go")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.WriteFile(cfgFile, []byte(strings.Replace(string(raw), `addr: ":8080"`, `addr: "`+addr+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	svc := exec.Command("./svc")
	svc.Dir = dir
	svc.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TRACE_EXPORTER=") || strings.HasPrefix(kv, "OTEL_EXPORTER_OTLP_ENDPOINT=") || strings.HasPrefix(kv, "DB_DSN=")
	})
	if !strings.HasSuffix(otlp, ":4317") { // Jaeger elsewhere than its default port: say where
		svc.Env = append(svc.Env, "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp)
	}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "svc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	svc.Stdout, svc.Stderr = logFile, logFile
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Process.Kill() }() // a no-op once it exited
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := get("/ping"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not answer /ping:\n%s", logs())
		}
	}
	if code, body := get("/v1/hello/ann"); code != http.StatusOK || !strings.Contains(body, "hello, ann") {
		t.Fatalf("GET /v1/hello/ann: %d %s", code, body)
	}
	if err := svc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := svc.Wait(); err != nil { // the exporter is flushed on the way out
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs())
	}
	for _, topic := range []string{`"topic": "example-topic"`, `"topic": "events"`} {
		if !strings.Contains(logs(), topic) {
			t.Errorf("serve did not run the in-process queue's consumer of %s:\n%s", topic, logs())
		}
	}

	var ops []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !slices.ContainsFunc(ops, isHello); time.Sleep(200 * time.Millisecond) {
		ops = jaegerOperations(query, name)
	}
	if !slices.ContainsFunc(ops, isHello) {
		t.Fatalf("Jaeger at %s has no span of GET /v1/hello for service %s (operations: %v)\n%s", query, name, ops, logs())
	}
}

func isHello(op string) bool { return strings.Contains(op, "/v1/hello") }

// jaegerOperations are the span names of service's traces in Jaeger.
func jaegerOperations(query, service string) []string {
	resp, err := http.Get(query + "/api/traces?limit=20&service=" + url.QueryEscape(service))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Data []struct {
			Spans []struct {
				OperationName string `json:"operationName"`
			} `json:"spans"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return nil
	}
	var ops []string
	for _, tr := range body.Data {
		for _, s := range tr.Spans {
			ops = append(ops, s.OperationName)
		}
	}
	return ops
}
