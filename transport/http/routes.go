package http

import (
	"net/http"
	"net/http/pprof"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/health"
)

// Paths of the built-in routes.
const (
	PathPing    = "/ping"
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathMetrics = "/metrics"
	PathPprof   = "/debug/pprof"
)

var (
	errRouteNotFound    = errors.NotFound("ROUTE_NOT_FOUND", "no route matches the request path")
	errMethodNotAllowed = errors.New(http.StatusMethodNotAllowed, errors.ReasonMethodNotAllow, "the route does not accept this method")
)

// pong answers /ping; it reads no context, so the server skips the request
// copy that would carry the chain's.
var pong = takesContext(func(c *Context) error {
	c.String(http.StatusOK, "pong")
	return nil
})

// routes mounts the built-in routes and the 404 and 405 handlers. /ping runs
// the middleware chain like any route (it is what load balancers and the seed's
// tests call); probes, /metrics and pprof do not, so they neither flood the
// access log nor count as traffic.
func (s *Server) routes() {
	s.GET(PathPing, pong)
	s.engine.GET(PathHealthz, func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	s.engine.GET(PathReadyz, func(c *gin.Context) {
		r := health.Report{Ready: true}
		if s.health != nil {
			r = s.health.Ready(c.Request.Context())
		}
		code := http.StatusOK
		if !r.Ready {
			code = http.StatusServiceUnavailable
		}
		c.JSON(code, r)
	})
	if s.metrics != nil {
		s.engine.GET(PathMetrics, gin.WrapH(s.metrics))
	}
	if s.cfg.Pprof.Enabled {
		g := s.engine.Group(PathPprof, gin.BasicAuth(gin.Accounts{s.cfg.Pprof.Username: s.cfg.Pprof.Password}))
		g.GET("/", gin.WrapF(pprof.Index))
		g.GET("/cmdline", gin.WrapF(pprof.Cmdline))
		g.GET("/profile", gin.WrapF(pprof.Profile))
		g.GET("/symbol", gin.WrapF(pprof.Symbol))
		g.POST("/symbol", gin.WrapF(pprof.Symbol))
		g.GET("/trace", gin.WrapF(pprof.Trace))
		g.GET("/:name", func(c *gin.Context) { pprof.Handler(c.Param("name")).ServeHTTP(c.Writer, c.Request) })
	}
	notFound := s.adapt("NoRoute", s.chain(), func(*Context) error { return errRouteNotFound })
	noMethod := s.adapt("NoMethod", s.chain(), func(*Context) error { return errMethodNotAllowed })
	s.engine.NoRoute(notFound)
	s.engine.NoMethod(noMethod)
}
