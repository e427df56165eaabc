package scaffold_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

func TestValidateRejectsWithAClearMessage(t *testing.T) {
	tests := []struct {
		o    scaffold.Options
		want []string
	}{
		{scaffold.Options{Kind: "web", Name: "shop"}, []string{`kind "web"`, "api, rpc"}},
		{scaffold.Options{Kind: "api"}, []string{"--name is required"}},
		{scaffold.Options{Kind: "api", Name: "my shop"}, []string{`--name "my shop"`}},
		{scaffold.Options{Kind: "api", Name: "9lives"}, []string{`--name "9lives"`, "start with a letter"}},
		{scaffold.Options{Kind: "api", Name: "github.com/acme/sh$p"}, []string{"sh$p"}},
		{scaffold.Options{Kind: "api", Name: "shop", DB: "oracle"}, []string{`--db "oracle" is not supported yet`, "supported today: sqlite, mysql, postgres, clickhouse, none"}},
		{scaffold.Options{Kind: "api", Name: "shop", Queue: "sqs"}, []string{`--queue "sqs"`, "supported today: database, memory, kafka, rabbitmq, nats, none"}},
		{scaffold.Options{Kind: "api", Name: "shop", DB: "none", Queue: "database"}, []string{"--queue database keeps messages in the service's database", "not none"}},
		{scaffold.Options{Kind: "api", Name: "shop", Cache: "memcached"}, []string{`--cache "memcached"`, "memory, redis, none"}},
		{scaffold.Options{Kind: "api", Name: "shop", Err: "bugsnag"}, []string{`--err "bugsnag"`, "none, sentry, email"}},
		{scaffold.Options{Kind: "api", Name: "shop", Auth: "basic"}, []string{`--auth "basic"`, "none, jwt"}},
		{scaffold.Options{Kind: "api", Name: "shop", Trace: "zipkin"}, []string{`--trace "zipkin"`, "none, otlp, jaeger"}},
		{scaffold.Options{Kind: "api", Name: "shop", Metric: "statsd"}, []string{`--metric "statsd"`, "none, prom"}},
		{scaffold.Options{Kind: "api", Name: "shop", Registry: "zookeeper"}, []string{`--registry "zookeeper"`, "memory, gossip, consul, etcd, dns"}},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if err == nil {
			t.Errorf("%+v: accepted", tt.o)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q lacks %q", tt.o, err, w)
			}
		}
	}
	ok := scaffold.Options{Kind: "rpc", Name: "github.com/acme/user-svc", Trace: "jaeger"}
	if err := ok.Validate(); err != nil || ok.Trace != "otlp" || ok.Base() != "user-svc" || ok.EnvPrefix() != "USER_SVC" ||
		ok.DB != "sqlite" || ok.Cache != "memory" || ok.Registry != "memory" || !ok.Jaeger { // no flags: embedded defaults, no server needed
		t.Fatalf("%+v %v", ok, err)
	}
	otlp := scaffold.Options{Kind: "api", Name: "shop", Trace: "otlp"}
	if err := otlp.Validate(); err != nil || otlp.Jaeger {
		t.Fatalf("--trace otlp: %+v %v", otlp, err)
	}
}

// Flag values of gox's first design are accepted as aliases of today's.
func TestValidateAcceptsAliases(t *testing.T) {
	o := scaffold.Options{Kind: "api", Name: "shop", DB: "postgre", Cache: "sync", Queue: "local", Metric: "prom", Trace: "jaeger"}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	want := scaffold.Options{Kind: "api", Name: "shop", Err: "none", Auth: "none", DB: "postgres", Cache: "memory", Queue: "memory", Metric: "prom",
		Trace: "otlp", Jaeger: true, Registry: "memory", RemoteConfig: "none", Storage: "none"}
	if o != want {
		t.Fatalf("got  %+v\nwant %+v", o, want)
	}
	for _, o := range []scaffold.Options{{Kind: "api", Name: "shop", DB: "PostgreSQL"}, {Kind: "api", Name: "shop", Metric: "prometheus"}} {
		if err := o.Validate(); err != nil || (o.DB != "postgres" && o.Metric != "prom") {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if !o.InProcessQueue() || o.QueueContrib() {
		t.Fatalf("--queue local is the in-process memory broker: %+v", o)
	}
}

func TestNonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	mine := []byte("package main // my own main.go\n")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), mine, 0o644); err != nil {
		t.Fatal(err)
	}
	o := scaffold.Options{Kind: "api", Name: "shop"}
	if _, err := scaffold.Render(o, dir, "", false); err == nil || !strings.Contains(err.Error(), "not empty") ||
		!strings.Contains(err.Error(), "main.go") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatal("a refused render wrote files")
	}
	res, err := scaffold.Render(o, dir, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "main.go")); !bytes.Equal(got, mine) {
		t.Fatal("--force overwrote a file")
	}
	if len(res.Skipped) != 1 || res.Skipped[0] != "main.go" || len(res.Written) == 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestHeaders(t *testing.T) {
	dir := t.TempDir()
	if _, err := scaffold.Render(scaffold.Options{Kind: "rpc", Name: "user", Trace: "otlp"}, dir, "", false); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		first := string(bytes.SplitN(b, []byte("\n"), 2)[0])
		if filepath.ToSlash(p) == filepath.ToSlash(filepath.Join(dir, scaffold.OpenAPIFile)) {
			return nil // JSON: no comment; generated, gctl gen proto --check covers it
		}
		if strings.HasSuffix(p, ".pb.go") || strings.HasSuffix(p, ".gox.go") {
			if !strings.Contains(first, "generated") || !strings.Contains(first, "DO NOT EDIT") {
				t.Errorf("%s: first line %q", p, first)
			}
			return nil
		}
		if !strings.Contains(string(b), scaffold.ScaffoldedHeader) {
			t.Errorf("%s has no %q header", p, scaffold.ScaffoldedHeader)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGeneratedProjectsBuildAndPass renders every supported variant against
// this checkout and runs go vet and the project's own tests.
func TestGeneratedProjectsBuildAndPass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four projects")
	}
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	variants := []scaffold.Options{
		{Kind: "api", Name: "shop"},
		{Kind: "api", Name: "github.com/acme/shop-lite", Metric: "none", Trace: "otlp", DB: "none", Cache: "none", Registry: "dns", Storage: "local"},
		{Kind: "api", Name: "shop-pg", DB: "postgres", Cache: "redis", Metric: "prom", Registry: "etcd", RemoteConfig: "etcd"},
		{Kind: "api", Name: "shop-my", DB: "mysql", Cache: "none", Queue: "none", Auth: "jwt", Err: "sentry"},
		{Kind: "rpc", Name: "user"},
		{Kind: "rpc", Name: "user-traced", Trace: "otlp", Metric: "prom", DB: "clickhouse", Cache: "redis", Registry: "consul", RemoteConfig: "consul"},
		{Kind: "api", Name: "shop-kafka", DB: "none", Cache: "none", Queue: "kafka", Err: "email"},
		{Kind: "api", Name: "shop-rabbit", DB: "postgres", Queue: "rabbitmq", Trace: "otlp"},
		{Kind: "rpc", Name: "user-nats", Queue: "nats", Metric: "prom", Registry: "gossip", Auth: "jwt", Storage: "s3"},
		{Kind: "rpc", Name: "user-local", Queue: "local", Cache: "sync", Trace: "jaeger", Metric: "prom", Err: "email"}, // aliases
	}
	for _, o := range variants {
		t.Run(o.Kind+"_"+o.Base(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), o.Base())
			if _, err := scaffold.Render(o, dir, source, false); err != nil {
				t.Fatal(err)
			}
			gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
			if !strings.Contains(string(gomod), "github.com/goxkit/gox => "+source) {
				t.Fatalf("go.mod lacks the replace line:\n%s", gomod)
			}
			for _, args := range [][]string{{"mod", "tidy"}, {"vet", "./..."}, {"test", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if (o.DB == "" || o.DB == "sqlite") && (o.Queue == "" || o.Queue == "database") {
				checkMigrations(t, dir)
			}
		})
	}
}

// queueModels is what `db migrate` reports for the database queue's tables.
const queueModels = "migrated model *dbbroker.Job\nmigrated model *dbbroker.Group\nmigrated model *dbbroker.Failed\n"

// checkMigrations runs the SQLite project's db commands: migrate creates the
// model's and the queue's tables and runs the SQL file, status lists it,
// rollback reverts it; queue retry finds no dead letters.
func checkMigrations(t *testing.T, dir string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", "svc", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, step := range []struct{ args, want string }{
		{"db migrate", "migrated model *model.Greeting\n" + queueModels + "migrated up 00001_settings.sql\n"},
		{"db status", "applied  00001_settings.sql\n"},
		{"db migrate", "migrated model *model.Greeting\n" + queueModels},
		{"queue retry --topic example-topic --group example-queue", "replayed 0 of 0 ()\n"},
		{"db rollback", "rolled back 00001_settings.sql\n"},
		{"db rollback", "nothing to roll back\n"},
	} {
		cmd := exec.Command("./svc", strings.Fields(step.args)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DB_DSN=") // the file's default DSN, whatever the caller's environment
		out, err := cmd.Output()
		if err != nil || string(out) != step.want {
			t.Fatalf("svc %s: %v\ngot:  %q\nwant: %q", step.args, err, out, step.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "app.db")); err != nil {
		t.Fatalf("the SQLite file is not where config.yaml says: %v", err)
	}
	// event listen consumes the queue's event topic until SIGTERM, then stops cleanly
	listen := exec.Command("./svc", "event", "listen")
	listen.Dir = dir
	listen.Env = append(os.Environ(), "DB_DSN=")
	logPath := filepath.Join(t.TempDir(), "listen.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	listen.Stdout, listen.Stderr = logFile, logFile
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	logs := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs(), "consumer started"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = listen.Process.Kill()
			t.Fatalf("event listen did not start:\n%s", logs())
		}
	}
	_ = listen.Process.Signal(syscall.SIGTERM)
	if err := listen.Wait(); err != nil || !strings.Contains(logs(), "events") {
		t.Fatalf("event listen after SIGTERM: %v\n%s", err, logs())
	}
}
