package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/mod/modfile"

	"github.com/goxkit/gox/cmd/gctl/internal/apigen"
	"github.com/goxkit/gox/cmd/gctl/internal/genfile"
	"github.com/goxkit/gox/cmd/gctl/internal/genproto"
)

// genCommand is `gctl gen`: code generated from a definition, rewritten
// freely (DO NOT EDIT files), never touching the files a user edits.
func genCommand() *cli.Command {
	return &cli.Command{
		Name:  "gen",
		Usage: "generate code from a definition: gctl gen proto | api",
		Commands: []*cli.Command{genProtoCommand(), {
			Name:  "api",
			Usage: "HTTP routes, a typed client and a mock from a Go interface (and its implementation file, once)",
			Description: "Reads the interface marked //gox:api (or --interface) in --dir. Each method is\n" +
				"Name(ctx context.Context, req *Req) (*Resp, error); a line //gox:http GET /v1/things/{id}\n" +
				"in its doc comment sets the route (default POST /kebab-name). Writes <interface>_http.gen.go,\n" +
				"_client.gen.go and _mock.gen.go, and <interface>_service.go when it does not exist.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "dir", Value: ".", Usage: "the package `directory` holding the interface"},
				&cli.StringFlag{Name: "interface", Usage: "the interface's `name` (default: the one marked //gox:api)"},
				&cli.BoolFlag{Name: "check", Usage: "write nothing; fail when a generated file is missing or differs (for CI)"},
			},
			Action: func(_ context.Context, c *cli.Command) error {
				dir := c.String("dir")
				api, err := apigen.Load(dir, c.String("interface"))
				if err != nil {
					return err
				}
				files, err := apigen.Generate(api)
				if err != nil {
					return err
				}
				return writeGenerated(c, dir, files, "gctl gen api --dir "+dir)
			},
		}},
	}
}

// genProtoCommand is `gctl gen proto`: .proto files compiled in process
// (no protoc, no plugins), their message, gRPC and HTTP-binding code and
// the OpenAPI document of their HTTP bindings.
func genProtoCommand() *cli.Command {
	return &cli.Command{
		Name:      "proto",
		Usage:     "Go code for .proto files (messages as protoc-gen-go writes them, gRPC, HTTP bindings) and their OpenAPI document, with no protoc",
		ArgsUsage: "[file.proto ...]",
		Description: "Files are named relative to the first import path, as protoc names them; without any, every .proto\n" +
			"under api/ (or under the import path when there is no api/). Writes name.pb.go, name_grpc.pb.go and,\n" +
			"for services with google.api.http rules, name_http.gox.go next to each file (paths=source_relative)\n" +
			"and the OpenAPI 3.1 document of every binding (--openapi).",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "proto-path", Aliases: []string{"I"}, Value: []string{"."}, Usage: "import `dir`ectories, searched in order (well-known types, google/api and buf/validate are built in)"},
			&cli.StringFlag{Name: "out", Value: ".", Usage: "output `dir`ectory"},
			&cli.StringFlag{Name: "go-opt", Usage: "protoc-gen-go's `options` (default paths=source_relative)"},
			&cli.StringFlag{Name: "openapi", Value: "api/openapi.json", Usage: "where to write the OpenAPI document of the HTTP bindings, under --out (empty: not written)"},
			&cli.StringFlag{Name: "errors", Value: "envelope", Usage: "error `format` the document describes: envelope (gox's default) | problem (http.error_format: problem)"},
			&cli.StringFlag{Name: "title", Usage: "the document's `title` (default: the module's last path element)"},
			&cli.BoolFlag{Name: "check", Usage: "write nothing; fail when a generated file is missing or differs (for CI)"},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			imports := c.StringSlice("proto-path")
			names := c.Args().Slice()
			if len(names) == 0 {
				var err error
				if names, err = findProtos(imports[0]); err != nil {
					return err
				}
			}
			title := c.String("title")
			if title == "" {
				title = moduleName()
			}
			files, err := genproto.Files(genproto.Options{
				ImportPaths: imports, Files: names, GoOpt: c.String("go-opt"),
				OpenAPI: c.String("openapi"), Errors: c.String("errors"), Title: title,
			})
			if err != nil {
				return err
			}
			return writeGenerated(c, c.String("out"), files, "gctl gen proto")
		},
	}
}

// writeGenerated writes files under dir, or with --check reports the stale
// ones.
func writeGenerated(c *cli.Command, dir string, files []genfile.File, again string) error {
	w := c.Root().Writer
	if c.Bool("check") {
		if stale := genfile.Stale(dir, files); len(stale) > 0 {
			return fmt.Errorf("generated files out of date in %s: %s; run %s", dir, strings.Join(stale, ", "), again)
		}
		fmt.Fprintf(w, "%s: generated files are up to date\n", dir)
		return nil
	}
	wrote, err := genfile.Write(dir, files)
	for _, f := range wrote {
		fmt.Fprintf(w, "  write %s\n", filepath.Join(dir, f))
	}
	if err != nil {
		return err
	}
	if len(wrote) == 0 {
		fmt.Fprintf(w, "%s: nothing to change\n", dir)
	}
	return nil
}

// findProtos lists the .proto files under root/api (or root), relative to
// root, slash-separated; vendored third_party trees are left out.
func findProtos(root string) ([]string, error) {
	start := filepath.Join(root, "api")
	if fi, err := os.Stat(start); err != nil || !fi.IsDir() {
		start = root
	}
	var names []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != start && (strings.HasPrefix(d.Name(), ".") || d.Name() == "third_party" || d.Name() == "vendor" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".proto") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no .proto file under %s; name the files to compile", start)
	}
	return names, nil
}

// moduleName is the last element of the module path in ./go.mod, "" without one.
func moduleName() string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return ""
	}
	p := modfile.ModulePath(b)
	return p[strings.LastIndex(p, "/")+1:]
}
