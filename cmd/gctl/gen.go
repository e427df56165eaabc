package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/cmd/gctl/internal/apigen"
	"github.com/goxkit/gox/cmd/gctl/internal/genfile"
)

// genCommand is `gctl gen`: code generated from a definition, rewritten
// freely (DO NOT EDIT files), never touching the files a user edits.
func genCommand() *cli.Command {
	return &cli.Command{
		Name:  "gen",
		Usage: "generate code from a definition: gctl gen api",
		Commands: []*cli.Command{{
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
				w := c.Root().Writer
				if c.Bool("check") {
					if stale := genfile.Stale(dir, files); len(stale) > 0 {
						return fmt.Errorf("generated files out of date in %s: %s; run gctl gen api --dir %s", dir, strings.Join(stale, ", "), dir)
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
			},
		}},
	}
}
