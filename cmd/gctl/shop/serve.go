// scaffolded by gctl; safe to edit.

package main

import (
	"context"
	"log/slog"

	"github.com/urfave/cli/v3"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/log"

	"shop/configs"
	"shop/internal/data"
	"shop/internal/events"
	"shop/internal/server"
)

// serve builds the service from its config and runs it until a signal.
func serve(ctx context.Context, cmd *cli.Command) error {
	path := cmd.String("config")
	cfg := configs.Default()
	if err := config.Load(&cfg, config.WithFile(path), config.WithEnvPrefix(configs.EnvPrefix)); err != nil {
		return err
	}
	logger, err := log.New(cfg.Log, cfg.App.Production())
	if err != nil {
		return err
	}
	defer logger.Close() // flushes buffered lines on every return, errors included
	slog.SetDefault(logger.Logger)
	ready := health.New(0)
	metrics := prometheus.New()
	// The stores are opened (and a database pinged) before anything listens:
	// a service that cannot reach its database does not start.
	stores, err := data.Open(ctx, cfg, logger.Logger, metrics.Client())
	if err != nil {
		return err
	}
	for name, check := range stores.HealthChecks() {
		ready.Add(name, check) // /readyz and grpc.health.v1 report them
	}

	// Events posted to /event go to these listeners.
	bus := event.NewBus(events.Listeners(logger.Logger), event.WithUnknown(cfg.Event.UnknownPolicy()), event.WithLogger(logger.Logger))

	httpServer, err := server.NewHTTP(cfg, logger.Logger, ready, metrics, bus)
	if err != nil {
		return err
	}
	// Settings that can change while running are applied when the file changes
	// (a Kubernetes ConfigMap update included); the rest need a restart.
	watcher := config.NewWatcher(path, func() { reload(path, logger) }, logger.Logger)

	app := gox.New(
		gox.WithName(cfg.App.Name),
		gox.WithVersion(version),
		gox.WithLogger(logger.Logger),
		gox.WithHealth(ready),
		gox.WithStopTimeout(cfg.App.StopTimeout),
		gox.WithStopDelay(cfg.App.StopDelay),
		gox.WithServer(httpServer, watcher),
		// Resources close in reverse order of registration once the servers stopped.
		gox.WithResource("data", func(context.Context) error { return stores.Close() }),
	)
	return app.Run(ctx)
}

// reload applies the hot-reloadable settings of the config file at path.
func reload(path string, logger *log.Logger) {
	next := configs.Default()
	if err := config.Load(&next, config.WithFile(path), config.WithEnvPrefix(configs.EnvPrefix)); err != nil {
		logger.Error("config change rejected; keeping the running config", "error", err)
		return
	}
	if err := logger.SetLevel(next.Log.Level); err != nil {
		logger.Error("config change rejected", "error", err)
		return
	}
	logger.Info("config reloaded", "log_level", next.Log.Level)
}
