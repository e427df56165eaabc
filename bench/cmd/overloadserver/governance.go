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

var (
	stateEvery = flag.Duration("state", 0, "goxgov: print the governor's shedder state (JSON) to stderr this often (0: never)")
	rejectAll  = flag.Bool("reject", false, "goxgov: a rate limit of 1 call/s on /work, so that nearly every call is refused (429): the cost of a refusal")
	queueDelay = flag.Duration("queue-delay", 0, "goxgov: governance's shedding.queue_delay (0: its default)")
)

func init() {
	governed = func(logger *slog.Logger) (middleware.Middleware, func() error, error) {
		c := governance.DefaultConfig()
		if *queueDelay > 0 {
			c.Shedding.QueueDelay = *queueDelay
		}
		if *rejectAll {
			c.Rules = append(c.Rules, governance.Rule{Exact: []string{"GET /work"},
				RateLimit: &governance.RateLimit{Rate: governance.Rate{Limit: 1, Per: time.Second, Burst: 1}}})
		}
		g, err := governance.New(c, governance.WithLogger(logger))
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
