// Command server runs one of the benchmark servers for load.sh:
//
//	server -mode gin|gox|grpc|goxgrpc -addr 127.0.0.1:18080 -log /tmp/access.log
//
// gox modes run the scaffolded default chain (request id, recovery, access
// log to -log through zap, metrics, timeout, metadata; tracing off).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/goxkit/gox/bench"
	"github.com/goxkit/gox/contrib/prometheus"
	"github.com/goxkit/gox/middleware"
)

func main() {
	mode := flag.String("mode", "gox", "gin | ginlog | gox | goxhand | goxrule (POST /v1/fields/{name}, hand-written or generated from a google.api.http rule) | grpc | goxgrpc")
	chain := flag.String("chain", "default", "gox chain: default (the scaffold's) | issue (recovery, request id, access log, metrics: the target's definition) | none | nolog | logonly | requestidonly | metricsonly")
	work := flag.Duration("work", 0, "gin mode: busy-spin this long in each handler, to calibrate what handler time costs under load")
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	logPath := flag.String("log", "access.log", "access log file for gox modes (rotated, buffered)")
	profile := flag.String("cpuprofile", "", "write a CPU profile here until the server stops")
	profileHz := flag.Int("profilehz", 0, "CPU profile sampling rate (0: the runtime's 100 Hz)")
	logBuf := flag.Int("logbuf", 0, "access log write buffer in bytes (0: log.file.buffer_bytes' default)")
	flag.Parse()
	if *profile != "" {
		if *profileHz > 0 {
			runtime.SetCPUProfileRate(*profileHz)
		}
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*mode, *chain, *addr, *logPath, *logBuf, *work); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(mode, chain, addr, logPath string, logBuf int, work time.Duration) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	l, err := bench.FileLoggerBuffered(logPath, logBuf)
	if err != nil {
		return err
	}
	defer l.Close()
	logger := l.Logger
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var serve func() error
	var shutdown func()
	switch mode {
	case "ginlog":
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		srv := &http.Server{Handler: bench.GinWithLogger(f)}
		serve, shutdown = func() error { return srv.Serve(lis) }, func() { _ = srv.Shutdown(context.Background()) }
	case "goxhand", "goxrule": // POST /v1/fields/{name}: hand-written (xhttp.JSON) or generated (google.api.http)
		m := prometheus.New()
		c, err := chainOf(chain, logger, m)
		if err != nil {
			return err
		}
		s := bench.GoxWith(c, m)
		bench.Fields(s, mode == "goxrule")
		srv := &http.Server{Handler: s}
		serve, shutdown = func() error { return srv.Serve(lis) }, func() { _ = srv.Shutdown(context.Background()) }
	case "gin", "gox":
		h := bench.Gin()
		if work > 0 {
			h = spin(h, work)
		}
		if mode == "gox" {
			m := prometheus.New()
			c, err := chainOf(chain, logger, m)
			if err != nil {
				return err
			}
			h = bench.GoxWith(c, m)
		}
		srv := &http.Server{Handler: h}
		serve, shutdown = func() error { return srv.Serve(lis) }, func() { _ = srv.Shutdown(context.Background()) }
	case "grpc":
		s := bench.GRPC()
		serve, shutdown = func() error { return s.Serve(lis) }, s.GracefulStop
	case "goxgrpc":
		m := prometheus.New()
		c, err := chainOf(chain, logger, m)
		if err != nil {
			return err
		}
		s := bench.GoxGRPCWith(c).GRPC()
		serve, shutdown = func() error { return s.Serve(lis) }, s.GracefulStop
	default:
		return fmt.Errorf("-mode %q is not one of gin, ginlog, gox, goxhand, goxrule, grpc, goxgrpc", mode)
	}
	go func() { <-ctx.Done(); shutdown() }()
	if err := serve(); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// chainOf returns the named chain; see the -chain flag.
func chainOf(name string, logger *slog.Logger, m *prometheus.Metrics) ([]middleware.Middleware, error) {
	all := bench.DefaultChain(logger, m) // request id, recovery, logging, metrics, timeout, governance, metadata
	chains := map[string][]middleware.Middleware{"default": all, "issue": all[:4], "none": nil,
		"nolog": append(all[:2:2], all[3:]...), "logonly": {all[2]},
		"requestidonly": {all[0]}, "metricsonly": {all[3]}}
	c, ok := chains[name]
	if !ok {
		return nil, fmt.Errorf("-chain %q is not one of default, issue, none, nolog, logonly, requestidonly, metricsonly", name)
	}
	return c, nil
}

// spin wraps h with a busy loop of d per request: CPU work, not sleep.
func spin(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
		h.ServeHTTP(w, r)
	})
}
