// scaffolded by gctl; safe to edit.

package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"

	"shop/configs"
	"shop/internal/data"
	"shop/internal/job"
)

// queueCommand is `queue <job>` (run that job's consumers until SIGTERM) and
// `queue retry` (send dead letters back).
func queueCommand() *cli.Command {
	cmd := &cli.Command{Name: "queue", Usage: "run queue consumers; retry dead letters"}
	names := slices.Collect(func(yield func(string) bool) {
		for n := range job.Consumers(slog.Default()) {
			if !yield(n) {
				return
			}
		}
	})
	sort.Strings(names)
	for _, name := range names {
		cmd.Commands = append(cmd.Commands, &cli.Command{
			Name:  name,
			Usage: "consume for the " + name + " job until SIGINT or SIGTERM",
			Action: func(ctx context.Context, c *cli.Command) error {
				return withData(ctx, c, func(ctx context.Context, cfg configs.Config, logger *slog.Logger, d *data.Data) error {
					t := job.Consumers(logger)[name]
					chain := []middleware.Middleware{recovery.Recovery(logger), requestid.Server(), logging.Server(logger)}
					consumers, err := broker.NewConsumers(d.Broker, t.Topic, t.Subscriptions, chain...)
					if err != nil {
						return err
					}
					var servers []gox.Option
					for _, c := range consumers {
						servers = append(servers, gox.WithServer(c))
					}
					opts := append(servers, gox.WithName(cfg.App.Name+"-queue-"+name), gox.WithVersion(version), gox.WithLogger(logger),
						gox.WithStopTimeout(cfg.App.StopTimeout))
					return gox.New(opts...).Run(ctx)
				})
			},
		})
	}
	cmd.Commands = append(cmd.Commands, &cli.Command{
		Name:  "retry",
		Usage: "send dead letters of a topic and group back to the queue (all, or those named by --id)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "topic", Required: true},
			&cli.StringFlag{Name: "group", Required: true, Usage: "the consumer group (the seed's Queue)"},
			&cli.StringSliceFlag{Name: "id", Usage: "message ids; default: every dead letter"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			return withData(ctx, c, func(ctx context.Context, _ configs.Config, _ *slog.Logger, d *data.Data) error {
				dl, ok := d.Broker.(broker.DeadLetters)
				if !ok {
					return fmt.Errorf("queue.driver %T keeps no dead letters here", d.Broker)
				}
				ids := c.StringSlice("id")
				if len(ids) == 0 {
					letters, err := dl.ListDeadLetters(ctx, c.String("topic"), c.String("group"), 0)
					if err != nil {
						return err
					}
					for _, l := range letters {
						ids = append(ids, l.Message.ID)
					}
				}
				n, err := dl.Replay(ctx, c.String("topic"), c.String("group"), ids...)
				if err != nil {
					return err
				}
				fmt.Printf("replayed %d of %d (%s)\n", n, len(ids), strings.Join(ids, ", "))
				return nil
			})
		},
	})
	return cmd
}

// withData loads the config, opens the stores and runs fn.
func withData(ctx context.Context, c *cli.Command, fn func(context.Context, configs.Config, *slog.Logger, *data.Data) error) error {
	cfg := configs.Default()
	if err := config.Load(&cfg, config.WithFile(c.String("config")), config.WithEnvPrefix(configs.EnvPrefix)); err != nil {
		return err
	}
	logger, err := log.New(cfg.Log, cfg.App.Production())
	if err != nil {
		return err
	}
	defer logger.Close()
	d, err := data.Open(ctx, cfg, logger.Logger, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(ctx, cfg, logger.Logger, d)
}
