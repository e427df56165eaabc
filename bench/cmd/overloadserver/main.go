// Command overloadserver runs one of the servers of overload.sh, each serving
// GET /work, a CPU-bound handler: a fixed number of chained SHA-256 sums
// (-iters; the default is ~1 ms on an uncontended core of the benchmark
// machine, chain included), so that one core answers ~1000 requests per
// second and an offered load above that is overload.
//
//	overloadserver -mode gox|goxgov|gozero -addr 127.0.0.1:18091 -log DIR
//
// Modes:
//   - gox: the gox HTTP server (transport/http, started as a service starts
//     it, with its Config's timeouts) with the chain gctl scaffolded before
//     governance (request id, recovery, access log to a file, metrics,
//     timeout, metadata): no protection against overload.
//   - goxgov: the same with gox's governance middleware (its default
//     config) right after timeout, where it sees the caller's deadline
//     (-gov-before-timeout: between metrics and timeout).
//   - gozero: go-zero's rest server with RestConf's defaults (as conf.Load
//     fills them), so its adaptive shedder is on (CpuThreshold 900), its
//     log written to files in -log.
//
// gox reads the caller's remaining time from X-Gox-Timeout (the timeout
// middleware); go-zero has no such header and applies its own 3 s.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/zeromicro/go-zero/core/conf"
	"github.com/zeromicro/go-zero/core/logx"
	"github.com/zeromicro/go-zero/core/stat"
	"github.com/zeromicro/go-zero/rest"

	"github.com/goxkit/gox/bench"
	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/logging"
	mdmw "github.com/goxkit/gox/middleware/metadata"
	"github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/middleware/timeout"
	xhttp "github.com/goxkit/gox/transport/http"
)

// governed, set by governance.go, returns gox's governance middleware and
// what closes it.
var governed func(logger *slog.Logger) (middleware.Middleware, func() error, error)

var govBeforeTimeout bool

func main() {
	mode := flag.String("mode", "gox", "gox | goxgov | gozero")
	addr := flag.String("addr", "127.0.0.1:18091", "listen address")
	logDir := flag.String("log", os.TempDir(), "directory for the access log (gox) or go-zero's log files")
	iters := flag.Int("iters", 11000, "SHA-256 rounds per request to /work (~85 ns each on the benchmark machine, uncontended)")
	cpuEvery := flag.Duration("cpulog", 0, "gozero: print go-zero's CPU reading (0-1000) to stderr this often (0: never)")
	flag.BoolVar(&govBeforeTimeout, "gov-before-timeout", false, "goxgov: governance between metrics and timeout (default: after timeout, where it sees the caller's deadline)")
	flag.Parse()
	startTrace()
	if err := run(*mode, *addr, *logDir, *iters, *cpuEvery); err != nil {
		fmt.Fprintln(os.Stderr, "overloadserver:", err)
		os.Exit(1)
	}
}

// work is the handler's CPU time: n chained SHA-256 sums, as hex.
func work(n int) string {
	var h [sha256.Size]byte
	for range n {
		h = sha256.Sum256(h[:])
	}
	return hex.EncodeToString(h[:8])
}

func run(mode, addr, logDir string, iters int, cpuEvery time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch mode {
	case "gox", "goxgov":
		return runGox(ctx, mode == "goxgov", addr, logDir, iters)
	case "gozero":
		return runGoZero(ctx, addr, logDir, iters, cpuEvery)
	}
	return fmt.Errorf("-mode %q is not one of gox, goxgov, gozero", mode)
}

func runGox(ctx context.Context, protect bool, addr, logDir string, iters int) error {
	gin.SetMode(gin.ReleaseMode) // as a service sets it; gox leaves it to the application
	// go-zero is linked in for -mode gozero: its stat package samples the CPU
	// four times a second from init in every mode (a few reads of /proc), and
	// would log a line a minute; silence it here.
	logx.Disable()
	l, err := bench.FileLogger(filepath.Join(logDir, "access-"+sanitize(addr)+".log"))
	if err != nil {
		return err
	}
	defer l.Close()
	m := prometheus.New()
	// the scaffold's chain without governance, spelled out rather than
	// taken from bench.DefaultChain, so that "gox" stays unprotected
	chain := []middleware.Middleware{requestid.Server(), recovery.Recovery(l.Logger), logging.Server(l.Logger),
		metrics.Server(m.Server()), timeout.Timeout(10 * time.Second), mdmw.Server("")}
	if protect {
		g, closeG, err := governed(l.Logger)
		if err != nil {
			return err
		}
		defer func() { _ = closeG() }()
		at := 5 // after timeout, so it sees the caller's deadline, as the scaffold places it
		if govBeforeTimeout {
			at = 4
		}
		chain = slices.Insert(chain, at, g)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	c := xhttp.DefaultConfig()
	c.Addr = addr
	s, err := xhttp.NewServer(c, xhttp.WithListener(lis), xhttp.WithLogger(l.Logger),
		xhttp.WithMiddleware(chain...), xhttp.WithMetricsHandler(m.Handler()))
	if err != nil {
		return err
	}
	s.GET("/work", func(c *xhttp.Context) error {
		c.String(http.StatusOK, work(iters))
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.Stop(sctx)
	return <-done
}

func runGoZero(ctx context.Context, addr, logDir string, iters int, cpuEvery time.Duration) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	var c rest.RestConf
	if err := conf.FillDefault(&c); err != nil { // what conf.Load gives a service: CpuThreshold 900, Timeout 3 s, every middleware on
		return err
	}
	c.Name = "overload"
	c.Host = host
	if c.Port, err = strconv.Atoi(port); err != nil {
		return err
	}
	c.Log.Mode = "file" // like gox's access log: to files, not the terminal
	c.Log.Path = filepath.Join(logDir, "gozero-"+sanitize(addr))
	if c.CpuThreshold != 900 || !c.Middlewares.Shedding {
		return fmt.Errorf("go-zero's defaults changed: CpuThreshold %d, Shedding %t", c.CpuThreshold, c.Middlewares.Shedding)
	}
	s, err := rest.NewServer(c)
	if err != nil {
		return err
	}
	s.AddRoute(rest.Route{Method: http.MethodGet, Path: "/work", Handler: func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(work(iters)))
	}})
	if cpuEvery > 0 {
		go func() {
			t := time.NewTicker(cpuEvery)
			defer t.Stop()
			for range t.C {
				fmt.Fprintf(os.Stderr, "gozero-cpu t=%d cpu=%d\n", time.Now().UnixMilli(), stat.CpuUsage())
			}
		}()
	}
	go func() { <-ctx.Done(); s.Stop(); os.Exit(0) }() // go-zero's Start has no context
	s.Start()
	return nil
}

func sanitize(addr string) string {
	b := []byte(addr)
	for i, c := range b {
		if c == ':' || c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}
