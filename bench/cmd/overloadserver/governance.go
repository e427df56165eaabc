package main

import (
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"time"

	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/governance"
)

var stateEvery = flag.Duration("state", 0, "goxgov: print the governor's shedder state (JSON) to stderr this often (0: never)")

func init() {
	governed = func(logger *slog.Logger) (middleware.Middleware, func() error, error) {
		g, err := governance.New(governance.DefaultConfig(), governance.WithLogger(logger))
		if err != nil {
			return nil, nil, err
		}
		if *stateEvery > 0 {
			go func() {
				for range time.Tick(*stateEvery) {
					st := g.State()
					b, _ := json.Marshal(map[string]any{"shedding": st.Shedding, "operations": st.Operations})
					os.Stderr.Write(append(b, '\n'))
				}
			}()
		}
		return g.Middleware(), g.Close, nil
	}
}
