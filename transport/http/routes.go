package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strings"

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

// pong answers /ping.
func pong(c *Context) error {
	c.String(http.StatusOK, "pong")
	return nil
}

// guardMetrics puts h behind the credentials Config.Metrics names, if any:
// a scrape without them gets a 401 in the server's error format. The
// comparisons take the same time whatever the guess.
func (s *Server) guardMetrics(h http.Handler) http.Handler {
	c := s.cfg.Metrics
	if c.Username == "" && c.BearerToken == "" {
		return h
	}
	user, pass, token := digest(c.Username), digest(c.Password), digest(c.BearerToken)
	challenge := `Bearer realm="metrics"`
	if c.Username != "" {
		challenge = `Basic realm="metrics", charset="UTF-8"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		if u, p, basic := r.BasicAuth(); basic && c.Username != "" {
			ok = equal(digest(u), user)&equal(digest(p), pass) == 1
		} else if t, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); bearer && c.BearerToken != "" {
			ok = equal(digest(t), token) == 1
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", challenge)
			s.encoder(w, r, errMetricsUnauthorized, s.production)
			return
		}
		h.ServeHTTP(w, r)
	})
}

var errMetricsUnauthorized = errors.Unauthorized("", "/metrics needs credentials (http.metrics)")

func digest(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

func equal(a, b [sha256.Size]byte) int { return subtle.ConstantTimeCompare(a[:], b[:]) }

// routes mounts the built-in routes and the 404 and 405 handlers. /ping runs
// the middleware chain like any route (it is what load balancers and smoke
// tests call); probes, /metrics and pprof do not, so they neither flood the
// access log nor count as traffic. With Config.Metrics.Addr set, /metrics is
// served by a listener of its own instead.
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
		h := s.guardMetrics(s.metrics)
		if s.metricsBind == nil {
			s.engine.GET(PathMetrics, gin.WrapH(h))
		} else {
			mux := http.NewServeMux()
			mux.Handle("GET "+PathMetrics, h)
			s.metricsSrv = s.httpServer(mux)
		}
	}
	if s.cfg.Pprof.Enabled {
		var auth gin.HandlerFunc
		if s.guard != nil {
			auth = ginGuard(s.guard)
		} else {
			auth = gin.BasicAuth(gin.Accounts{s.cfg.Pprof.Username: s.cfg.Pprof.Password})
		}
		g := s.engine.Group(PathPprof, auth)
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

// ginGuard runs an http middleware as a gin handler: the request goes on
// down gin's chain only if g called the handler it wraps; otherwise g has
// answered it.
func ginGuard(g func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		passed := false
		g(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
			return
		}
		c.Next()
	}
}
