// Package bench measures gox against the libraries underneath it (gin,
// grpc-go) in the same run: Go benchmarks here, load runs through load.sh.
// Results and the commands that produced them are in RESULTS.md.
package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/types/known/typepb"

	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/governance"
	"github.com/goxkit/gox/middleware/logging"
	mdmw "github.com/goxkit/gox/middleware/metadata"
	"github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/middleware/retry"
	"github.com/goxkit/gox/middleware/timeout"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
	"github.com/goxkit/gox/transport/http/httprule"
)

// FieldJSON is the body of the fields routes (Fields): a
// google.protobuf.Field, nine fields of strings, numbers, enums and a bool.
const FieldJSON = `{"kind":"TYPE_STRING","cardinality":"CARDINALITY_OPTIONAL","number":3,"typeUrl":"type.googleapis.com/x.Y",` +
	`"oneofIndex":1,"packed":true,"jsonName":"displayName","defaultValue":"none"}`

// HandField is the hand-written twin of typepb.Field for xhttp.JSON.
type HandField struct {
	Kind         string `json:"kind"`
	Cardinality  string `json:"cardinality"`
	Number       int32  `json:"number"`
	Name         string `json:"name" uri:"name"`
	TypeURL      string `json:"typeUrl"`
	OneofIndex   int32  `json:"oneofIndex"`
	Packed       bool   `json:"packed"`
	JSONName     string `json:"jsonName"`
	DefaultValue string `json:"defaultValue"`
}

// Fields registers POST /v1/fields/{name} on s, answering the body with
// the path's name in it: generated, the route gctl generates from a
// google.api.http rule with body "*" (the very call a generated
// _http.gox.go makes: protojson in and out, the path variable bound into
// the message, operation "/bench.Fields/Update"); otherwise the same route
// written by hand with xhttp.JSON (encoding/json, gin's uri binding).
func Fields(s *xhttp.Server, generated bool) {
	if generated {
		httprule.Register(s, httprule.Rule{Method: "POST", Pattern: "/v1/fields/{name}", Operation: "/bench.Fields/Update", Body: "*"},
			func(_ context.Context, f *typepb.Field) (*typepb.Field, error) { return f, nil })
		return
	}
	s.POST("/v1/fields/:name", xhttp.JSON(func(_ context.Context, f *HandField) (*HandField, error) { return f, nil }))
}

// Echo is the JSON body of the echo route.
type Echo struct {
	Text  string   `json:"text"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

// EchoBody is the request body used by every echo benchmark.
const EchoBody = `{"text":"hello gox","count":3,"tags":["a","b","c"]}`

// Logger returns an access logger writing JSON through zap to w; Go
// benchmarks use io.Discard.
func Logger(w io.Writer) *slog.Logger {
	c := log.DefaultConfig()
	c.Format = "json"
	l, err := log.NewWriter(c, true, w)
	if err != nil {
		panic(err) // static config: cannot fail
	}
	return l.Logger
}

// FileLogger returns the logger a service configured with log.file.path gets:
// JSON to a rotated, buffered file. Close it to flush.
func FileLogger(path string) (*log.Logger, error) { return FileLoggerBuffered(path, 0) }

// FileLoggerBuffered is FileLogger with a write buffer of size bytes (0: the
// default), for finding what the buffer size costs under load.
func FileLoggerBuffered(path string, size int) (*log.Logger, error) {
	c := log.DefaultConfig()
	c.Format = "json"
	c.File.Path = path
	if size > 0 {
		c.File.BufferBytes = size
	}
	return log.New(c, true)
}

// DefaultChain is what gctl scaffolds with tracing off: request id, recovery,
// access log, metrics, timeout, governance, metadata propagation. Its first four are the
// chain the throughput target names.
func DefaultChain(logger *slog.Logger, m *prometheus.Metrics) []middleware.Middleware {
	return []middleware.Middleware{
		requestid.Server(),
		recovery.Recovery(logger),
		logging.Server(logger),
		metrics.Server(m.Server()),
		timeout.Timeout(10 * time.Second),
		defaultGovernor(logger).Middleware(),
		mdmw.Server(""),
	}
}

// defaultGovernor is the scaffold's governance: the default policy (the
// shedder on, no rules). It lives as long as the process.
func defaultGovernor(logger *slog.Logger) *governance.Governor {
	g, err := governance.New(governance.DefaultConfig(), governance.WithLogger(logger))
	if err != nil {
		panic(err) // the default policy is valid
	}
	return g
}

// ClientChain is the client chain a scaffolded service calls others with:
// request id and metadata propagation, metrics, the access log of calls,
// a per-call timeout, retries of idempotent calls.
func ClientChain(logger *slog.Logger, m *prometheus.Metrics) []middleware.Middleware {
	return []middleware.Middleware{
		requestid.Client(),
		mdmw.Client(""),
		metrics.Client(m.Client()),
		logging.Client(logger),
		timeout.Client(10*time.Second, timeout.WithService("bench"), timeout.WithLogger(logger)),
		retry.Client(),
	}
}

// Gin returns bare gin with /ping and POST /echo, as gox serves them.
func Gin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	e.POST("/echo", func(c *gin.Context) {
		var in Echo
		if err := c.ShouldBindJSON(&in); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"message": err.Error()})
			return
		}
		c.JSON(http.StatusOK, &in)
	})
	return e
}

// GinWithLogger is bare gin with its own Recovery and Logger middlewares
// writing to w: the reference for what an access log costs without gox.
func GinWithLogger(w io.Writer) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.Recovery(), gin.LoggerWithWriter(w))
	e.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	return e
}

// Gox returns a gox HTTP server with the default chain, /ping and POST /echo.
func Gox(logger *slog.Logger) *xhttp.Server {
	m := prometheus.New()
	return GoxWith(DefaultChain(logger, m), m)
}

// GoxWith is Gox with another chain; load.sh uses it to find what costs what.
func GoxWith(chain []middleware.Middleware, m *prometheus.Metrics) *xhttp.Server {
	c := xhttp.DefaultConfig()
	s, err := xhttp.NewServer(c, xhttp.WithMiddleware(chain...), xhttp.WithMetricsHandler(m.Handler()))
	if err != nil {
		panic(err)
	}
	s.POST("/echo", xhttp.JSON(func(_ context.Context, in *Echo) (*Echo, error) { return in, nil }))
	return s
}

// EchoService answers UnaryCall with its payload.
type EchoService struct {
	testpb.UnimplementedTestServiceServer
}

// UnaryCall echoes the payload.
func (EchoService) UnaryCall(_ context.Context, r *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: r.GetPayload()}, nil
}

// GRPC returns bare grpc-go serving EchoService.
func GRPC() *grpc.Server {
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, EchoService{})
	return s
}

// GoxGRPC returns a gox gRPC server with the default chain serving EchoService.
func GoxGRPC(logger *slog.Logger) *xgrpc.Server {
	return GoxGRPCWith(DefaultChain(logger, prometheus.New()))
}

// GoxGRPCWith is GoxGRPC with another chain.
func GoxGRPCWith(chain []middleware.Middleware) *xgrpc.Server {
	c := xgrpc.DefaultConfig()
	c.Reflection = false
	s, err := xgrpc.NewServer(c, xgrpc.WithMiddleware(chain...))
	if err != nil {
		panic(err)
	}
	testpb.RegisterTestServiceServer(s, EchoService{})
	return s
}
