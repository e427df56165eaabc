// scaffolded by gctl; safe to edit.

package main

import (
	"context"
	"log/slog"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"

	"shop/configs"
	"shop/internal/data"
	"shop/internal/events"
)

// eventCommand is `event listen`: the event listeners on the queue topic
// event.topic until SIGTERM (the seed's event command).
func eventCommand() *cli.Command {
	listen := &cli.Command{
		Name:  "listen",
		Usage: "run the event listeners on the queue topic event.topic until SIGINT or SIGTERM",
		Action: func(ctx context.Context, c *cli.Command) error {
			return withData(ctx, c, func(ctx context.Context, cfg configs.Config, logger *slog.Logger, d *data.Data) error {
				bus := event.NewBus(events.Listeners(logger), event.WithUnknown(cfg.Event.UnknownPolicy()), event.WithLogger(logger))
				group := cfg.Event.Group
				if group == "" {
					group = cfg.App.Name
				}
				chain := []middleware.Middleware{recovery.Recovery(logger), requestid.Server(), logging.Server(logger)}
				consumer, err := event.NewConsumer(d.Broker, cfg.Event.Topic, bus, broker.ConsumerOptions{
					Group: group, Retry: cfg.Event.Retry, Sleep: cfg.Event.Sleep, Middleware: chain, Logger: logger,
				})
				if err != nil {
					return err
				}
				return gox.New(gox.WithServer(consumer), gox.WithName(cfg.App.Name+"-events"), gox.WithVersion(version),
					gox.WithLogger(logger), gox.WithStopTimeout(cfg.App.StopTimeout)).Run(ctx)
			})
		},
	}
	return &cli.Command{Name: "event", Usage: "event bus commands", Commands: []*cli.Command{listen}}
}
