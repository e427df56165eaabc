// Command hello is a gox service written by hand, without gctl: one HTTP
// server with a typed JSON route, a route group guarded by its own middleware,
// domain errors, readiness checks and a graceful stop.
//
//	go run ./examples/hello            # then: curl localhost:8080/v1/greet/ann
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/middleware/timeout"
	"github.com/goxkit/gox/transport"
	xhttp "github.com/goxkit/gox/transport/http"
)

// ErrUnknownName is the service's own error: a 404 with a stable reason.
var ErrUnknownName = errors.NotFound("UNKNOWN_NAME", "nobody by that name")

// GreetRequest binds the path parameter and validates it.
type GreetRequest struct {
	Name string `uri:"name" binding:"required,alpha,max=32"`
}

// Greeting is the reply.
type Greeting struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

type greeter struct{ count atomic.Int64 }

func (g *greeter) Greet(_ context.Context, req *GreetRequest) (*Greeting, error) {
	if strings.EqualFold(req.Name, "nobody") {
		return nil, ErrUnknownName
	}
	return &Greeting{Message: "hello, " + req.Name, Count: g.count.Add(1)}, nil
}

// adminOnly is a middleware for one route group: it reads the transport header.
func adminOnly(token string) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, _ := transport.FromServerContext(ctx)
			if tr.RequestHeader().Get("Authorization") != "Bearer "+token {
				return nil, errors.Unauthorized("", "admin token required")
			}
			return next(ctx, req)
		}
	}
}

// newApp wires the service; main and the test share it.
func newApp(addr string, logger *slog.Logger) (*gox.App, *xhttp.Server, error) {
	ready := health.New(time.Second)
	ready.Add("self", func(context.Context) error { return nil })
	c := xhttp.DefaultConfig()
	c.Addr = addr
	s, err := xhttp.NewServer(c, xhttp.WithHealth(ready), xhttp.WithLogger(logger),
		xhttp.WithMiddleware(requestid.Server(), recovery.Recovery(logger), logging.Server(logger), timeout.Timeout(5*time.Second)))
	if err != nil {
		return nil, nil, err
	}
	g := &greeter{}
	s.Group("/v1").GET("/greet/:name", xhttp.JSON(g.Greet))
	admin := s.Group("/admin", adminOnly("secret"))
	admin.GET("/count", func(c *xhttp.Context) error {
		c.JSON(200, map[string]int64{"count": g.count.Load()})
		return nil
	})
	app := gox.New(gox.WithName("hello"), gox.WithLogger(logger), gox.WithHealth(ready), gox.WithServer(s))
	return app, s, nil
}

func main() {
	logger, err := log.New(log.DefaultConfig(), false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer logger.Close()
	app, _, err := newApp(":8080", logger.Logger)
	if err == nil {
		err = app.Run(context.Background())
	}
	if err != nil {
		logger.Error("hello stopped", "error", err)
		os.Exit(1)
	}
}
