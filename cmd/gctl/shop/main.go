// scaffolded by gctl; safe to edit.

// Command shop is a gox HTTP service.
//
//	go run .                  # serve (the default command)
//	go run . serve -c prod.yaml
//	go run . db migrate       # create tables, run pending SQL migrations
//	go run . db rollback      # revert the last SQL migration
//	go run . queue example    # run the example job's consumers
//	go run . queue retry --topic example-topic --group example-queue
//	go run . event listen     # run the event listeners on the queue topic event.topic
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"shop/configs"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	cmd := &cli.Command{
		Name:           "shop",
		Usage:          "the shop service",
		Version:        version,
		DefaultCommand: "serve",
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "config",
				Aliases: []string{"c"},
				Value:   "config.yaml",
				Usage:   "YAML config file; " + configs.EnvPrefix + "_* environment variables fill keys it does not set",
				Sources: cli.EnvVars(configs.EnvPrefix + "_CONFIG"),
			},
		},
		Commands: []*cli.Command{
			{Name: "serve", Usage: "run the service until SIGINT or SIGTERM", Action: serve},
			dbCommand(),
			queueCommand(),
			eventCommand(),
		},
	}
	if err := cmd.Run(context.Background(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}
