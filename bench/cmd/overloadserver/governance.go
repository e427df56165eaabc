package main

import (
	"log/slog"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/governance"
)

func init() {
	governed = func(logger *slog.Logger) (middleware.Middleware, func() error, error) {
		g, err := governance.New(governance.DefaultConfig(), governance.WithLogger(logger))
		if err != nil {
			return nil, nil, err
		}
		return g.Middleware(), g.Close, nil
	}
}
