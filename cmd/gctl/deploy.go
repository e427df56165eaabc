package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox/cmd/gctl/internal/deploy"
)

// deployCommand is `gctl deploy`: the project's deployment artifacts,
// written into it, never over a file the user edited.
func deployCommand() *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "write the project's deployment files: deploy/Dockerfile, .dockerignore, a Helm chart and Kubernetes manifests",
		Description: "Run inside a project gctl new wrote (go.mod, main.go and config.yaml at its root). Reads the module,\n" +
			"the binary name and the ports of config.yaml (http.addr, grpc.addr, http.metrics.addr) and writes\n" +
			"deploy/Dockerfile (multi-stage, static binary on distroless, non-root) and .dockerignore at the\n" +
			"project root, the build context: docker build -f deploy/Dockerfile -t NAME .\n" +
			"deploy/chart/ is a Helm chart (serve, consumers per job, db migrate hook, cronjobs, service, PDB, HPA,\n" +
			"KEDA, Istio; values documented in values.yaml and typed in values.schema.json) and deploy/k8s/ the same\n" +
			"objects rendered with the default values, for kubectl apply -f deploy/k8s/.\n" +
			"Running it again rewrites only files nobody edited; an edited file is kept and listed. See docs/gctl.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "a `directory` in the project (its root is the nearest directory above with a go.mod)"},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			p, err := deploy.Load(c.String("dir"))
			if err != nil {
				return err
			}
			files, err := deploy.Render(p)
			if err != nil {
				return err
			}
			res, err := deploy.Write(p.Dir, files)
			w := c.Root().Writer
			for _, f := range res.Written {
				fmt.Fprintf(w, "  write %s\n", filepath.Join(p.Dir, f))
			}
			for _, f := range res.Kept {
				fmt.Fprintf(w, "  keep  %s (edited since gctl deploy wrote it; delete it to get the new version)\n", filepath.Join(p.Dir, f))
			}
			if err != nil {
				return err
			}
			if len(res.Written) == 0 && len(res.Kept) == 0 {
				fmt.Fprintf(w, "%s: nothing to change\n", p.Dir)
			}
			for _, s := range p.Warnings {
				fmt.Fprintf(w, "  warning: %s\n", s)
			}
			return nil
		},
	}
}
