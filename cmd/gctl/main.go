// Command gctl scaffolds gox services.
//
//	mkdir demo && cd demo && gctl new api     # HTTP service (gin) named demo, in ./
//	gctl new api --name shop                  # HTTP service (gin) in ./shop
//	gctl new rpc --name user --trace otlp     # gRPC service
//	gctl repo --type db --model Greeting --dir internal/repo/greeting --cache
//	gctl gen api --dir internal/service       # routes, client, mock from a Go interface
//
// Templates are embedded in the binary; nothing is fetched. Run from a gox
// source checkout, gctl points the new go.mod at that checkout.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/cmd/gctl/internal/repo"
	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// esModule is the Elasticsearch client `gctl repo --type es` adds: the
// official one, for Elasticsearch 8.
const esModule = "github.com/elastic/go-elasticsearch/v8@v8.19.7"

func main() {
	if err := newApp().Run(context.Background(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "gctl:", err)
		os.Exit(1)
	}
}

func newApp() *cli.Command {
	return &cli.Command{
		Name:  "gctl",
		Usage: "scaffold gox services and generate their code",
		Description: "Quick start, in a new directory:\n\n" +
			"   mkdir demo && cd demo\n   gctl new api        # or: gctl new rpc\n   go run main.go      # serves on :8080\n\n" +
			"gctl <command> --help shows a command's options.",
		Commands: []*cli.Command{{
			Name:  "new",
			Usage: "create a new service: gctl new api | rpc [options]",
			Commands: []*cli.Command{
				newCommand(scaffold.KindAPI, "an HTTP service on gin"),
				newCommand(scaffold.KindRPC, "a gRPC service with an HTTP port for probes and metrics"),
			},
		}, repoCommand(), genCommand(), runCommand(), deployCommand()},
	}
}

func newCommand(kind, usage string) *cli.Command {
	return &cli.Command{
		Name:  kind,
		Usage: "create " + usage,
		Description: "Without --name the service is named after the current directory and written into it;\n" +
			"the directory must be empty (.git and editor settings aside). With --name shop it goes to ./shop.\n" +
			"Then go run main.go (or go run .) serves it; with the default flags it needs no server (SQLite, an in-process cache).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name",
				Usage: "module `path` of the service, such as shop or github.com/acme/shop; its last element names the directory and the binary (default: the name of the current directory, which the project is written into)"},
			&cli.StringFlag{Name: "err", Usage: "error `reporter` of the failures the service did not expect (5xx, panics, dead letters, failing listeners): none | sentry (DSN from SENTRY_DSN) | email (SMTP)"},
			&cli.StringFlag{Name: "auth", Usage: "caller `authentication`: none | jwt (bearer tokens checked on every route and RPC but those listed public in config.yaml; go run . token SUBJECT issues one)"},
			&cli.StringFlag{Name: "trace", Usage: "tracing `exporter`: none | otlp (OTLP, off until TRACE_EXPORTER is set) | " +
				"jaeger (OTLP, on from the start, to a local Jaeger at localhost:4317; OTEL_EXPORTER_OTLP_ENDPOINT moves it)"},
			&cli.StringFlag{Name: "metric", Value: "prom", Usage: "metrics `backend`: prom (alias prometheus) | none"},
			&cli.StringFlag{Name: "db", Value: "sqlite", Usage: "database `driver`: sqlite | mysql | postgres (aliases postgre, postgresql) | clickhouse | none"},
			&cli.StringFlag{Name: "queue", Usage: "queue `backend`: database (in the service's database) | memory (alias local: in the serving process, " +
				"which runs the consumers; not durable, messages are lost when it stops) | kafka | rabbitmq | nats | none (default: database with a SQL database, else none)"},
			&cli.StringFlag{Name: "cache", Value: "memory", Usage: "cache `store`: memory (alias sync: in the process) | redis | none"},
			&cli.StringFlag{Name: "registry", Value: "memory", Usage: "service `registry`: memory | gossip | consul | etcd | dns (mono or micro mode is a setting in config.yaml)"},
			&cli.StringFlag{Name: "storage", Value: "none", Usage: "file `store` behind PUT/GET /v1/files/{key}: none | local (a directory) | s3 (an S3-compatible server: AWS, SeaweedFS, ...)"},
			&cli.StringFlag{Name: "remote-config", Value: "none", Usage: "configuration `store` read under config.yaml and the environment, and watched: none | consul | etcd (a YAML or JSON document under remote_config's key)"},
			&cli.StringFlag{Name: "dir", Usage: "target `directory`, empty or missing (default: ./<last element of --name> with --name, else the current directory)"},
			&cli.BoolFlag{Name: "force", Usage: "write into a non-empty directory; existing files are still never overwritten"},
			&cli.StringFlag{Name: "gox-source", Usage: "gox `checkout` the new go.mod's replace lines point at (default: the checkout gctl was built from, or $GOX_SOURCE)"},
			&cli.BoolFlag{Name: "no-tidy", Usage: "do not run go mod tidy in the new project"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			name, dir := c.String("name"), c.String("dir")
			if name == "" { // the quick start: mkdir demo && cd demo && gctl new api
				if dir == "" {
					dir = "."
				}
				n, err := scaffold.NameFromDir(dir)
				if err != nil {
					return err
				}
				name = n
			}
			o := scaffold.Options{Kind: kind, Name: name, Err: c.String("err"), Auth: c.String("auth"), Trace: c.String("trace"),
				Metric: c.String("metric"), DB: c.String("db"), Queue: c.String("queue"), Cache: c.String("cache"), Registry: c.String("registry"), RemoteConfig: c.String("remote-config"), Storage: c.String("storage")}
			if err := o.Validate(); err != nil {
				return err
			}
			if dir == "" {
				dir = o.Base()
			}
			source := scaffold.FindSource(c.String("gox-source"))
			res, err := scaffold.Render(o, dir, source, c.Bool("force"))
			if err != nil {
				return err
			}
			report(c, dir, source, res)
			if !c.Bool("no-tidy") {
				tidy := exec.CommandContext(ctx, "go", "mod", "tidy")
				tidy.Dir, tidy.Stdout, tidy.Stderr = dir, os.Stderr, os.Stderr
				if err := tidy.Run(); err != nil {
					return fmt.Errorf("go mod tidy in %s: %w (the files are written; fix the cause and run it again)", dir, err)
				}
			}
			next := "\ndone. next:\n"
			if filepath.Clean(dir) != "." {
				abs, _ := filepath.Abs(dir)
				next += "  cd " + abs + "\n"
			}
			fmt.Fprint(c.Root().Writer, next+"  go run main.go    # or go run .\n  go test ./...\n")
			return nil
		},
	}
}

func report(c *cli.Command, dir, source string, res *scaffold.Result) {
	w := c.Root().Writer
	for _, f := range res.Written {
		fmt.Fprintf(w, "  create %s\n", filepath.Join(dir, f))
	}
	for _, f := range res.Skipped {
		fmt.Fprintf(w, "  skip   %s (exists; scaffolded files are never overwritten)\n", filepath.Join(dir, f))
	}
	if source != "" {
		fmt.Fprintf(w, "  go.mod replaces github.com/goxkit/gox with %s\n", source)
	} else {
		fmt.Fprintln(w, "  note: not run from a gox checkout; set --gox-source or GOX_SOURCE if the gox modules are not published where you build")
	}
}

func repoCommand() *cli.Command {
	return &cli.Command{
		Name:  "repo",
		Usage: "generate a repository (and its test) in the current project",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Required: true,
				Usage: "`kind` of store behind it: db (a gorm model of internal/model) | api (another service's JSON API) | es (Elasticsearch)"},
			&cli.StringFlag{Name: "dir", Required: true, Usage: "package `directory`, such as internal/repo/greeting; its last element names the package"},
			&cli.StringFlag{Name: "model", Usage: "with --type db: the model `type` in internal/model, such as Greeting"},
			&cli.BoolFlag{Name: "cache", Usage: "read through the project's cache (GetOrLoad); writes invalidate"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite the repository's two files if they exist"},
			&cli.BoolFlag{Name: "no-tidy", Usage: "do not run go get and go mod tidy afterwards"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			files, err := repo.Generate(repo.Options{Type: c.String("type"), Dir: c.String("dir"), Model: c.String("model"),
				Cache: c.Bool("cache"), Force: c.Bool("force")})
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintf(c.Root().Writer, "  create %s\n", f)
			}
			if c.Bool("no-tidy") {
				return nil
			}
			steps := [][]string{{"mod", "tidy"}}
			if c.String("type") == "es" {
				steps = [][]string{{"get", esModule}, {"mod", "tidy"}}
			}
			for _, args := range steps {
				cmd := exec.CommandContext(ctx, "go", args...)
				cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("go %s: %w (the files are written; fix the cause and run it again)", args[0], err)
				}
			}
			fmt.Fprintf(c.Root().Writer, "\ndone. next: go test ./%s\n", filepath.ToSlash(filepath.Clean(c.String("dir"))))
			return nil
		},
	}
}
