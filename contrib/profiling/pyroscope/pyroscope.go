// Package pyroscope pushes the service's profiles to a Pyroscope server all
// the time (continuous profiling), with grafana/pyroscope-go: CPU and
// memory by default, goroutines, mutexes and blocking on demand, each
// labelled with the service's name and tags, so that a flame graph of any
// moment can be looked at afterwards.
//
//	p, err := pyroscope.New(cfg.Pyroscope, pyroscope.WithLogger(logger))
//	if err := p.Start(ctx); err != nil { ... }
//	app := gox.New(..., gox.WithResource("pyroscope", p.Stop))
//
// It owns the process's CPU profiler while it runs: the Go runtime allows
// one CPU profile at a time, so the pprof endpoint's /debug/pprof/profile
// and the CPU captures of gox's profiling package fail meanwhile (the
// latter still report the spike, without its profile). Heap and goroutine
// captures are unaffected.
//
// pyroscope-go reads PYROSCOPE_ADHOC_SERVER_ADDRESS from the environment
// and, when it is set, pushes there instead of ServerAddress.
package pyroscope

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"

	pyro "github.com/grafana/pyroscope-go"
)

// Option configures a Profiler.
type Option func(*options)

type options struct {
	logger *slog.Logger
	client *http.Client
}

// WithLogger logs the pushes that fail (and, at debug level, the others)
// to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithHTTPClient pushes with c (its TLS settings, proxy, timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// Profiler pushes profiles from Start to Stop.
type Profiler struct {
	cfg pyro.Config
	cpu bool // the CPU profile is pushed

	mu      sync.Mutex
	running *pyro.Profiler
	stopped bool
}

// New returns a Profiler for cfg, or the error of Validate; it pushes
// nothing until started.
func New(cfg Config, opts ...Option) (*Profiler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	pc := pyro.Config{ApplicationName: cfg.AppName, ServerAddress: cfg.ServerAddress, Tags: clone(cfg.Tags),
		BasicAuthUser: cfg.Auth.Username, BasicAuthPassword: cfg.Auth.Password, TenantID: cfg.Auth.TenantID,
		HTTPHeaders: clone(cfg.Auth.Headers), UploadRate: cfg.UploadRate, Logger: logger{o.logger}}
	if o.client != nil {
		pc.HTTPClient = o.client
	}
	for _, t := range cfg.ProfileTypes {
		pc.ProfileTypes = append(pc.ProfileTypes, pyro.ProfileType(t))
	}
	cpu := len(pc.ProfileTypes) == 0 || slices.Contains(pc.ProfileTypes, pyro.ProfileCPU)
	return &Profiler{cfg: pc, cpu: cpu}, nil
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

var (
	errStarted = errors.New("pyroscope: already started")
	errStopped = errors.New("pyroscope: stopped; a Profiler does not start again")
)

// Start begins profiling and pushing, and returns at once. It fails when
// the profiler runs already, or when pyroscope-go refuses the config.
func (p *Profiler) Start(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.stopped:
		return errStopped
	case p.running != nil:
		return errStarted
	}
	r, err := pyro.Start(p.cfg)
	if err != nil {
		return fmt.Errorf("pyroscope: start pushing to %s as %s: %w", p.cfg.ServerAddress, p.cfg.ApplicationName, err)
	}
	p.running = r
	return nil
}

// Stop pushes the profiles of the last interval (when cpu is among them)
// and stops, waiting for the pushes until ctx ends; its signature is that
// of a gox App resource.
// Stopping a Profiler that never started does nothing.
func (p *Profiler) Stop(ctx context.Context) error {
	p.mu.Lock()
	r := p.running
	p.running, p.stopped = nil, true
	p.mu.Unlock()
	if r == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// pyroscope-go v1.5.0's Flush waits forever for a CPU collector
		// that was not started: without cpu, the last interval is lost.
		if p.cpu {
			r.Flush(true)
		}
		_ = r.Stop() // always nil
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pyroscope: the last pushes to %s did not end in time: %w", p.cfg.ServerAddress, ctx.Err())
	}
}

// logger is slog as pyroscope-go's Logger: its errors (failed pushes) are
// warnings, the rest debug.
type logger struct{ l *slog.Logger }

func (l logger) Infof(format string, args ...any) {
	l.l.Debug("pyroscope: " + fmt.Sprintf(format, args...))
}
func (l logger) Debugf(format string, args ...any) {
	l.l.Debug("pyroscope: " + fmt.Sprintf(format, args...))
}
func (l logger) Errorf(format string, args ...any) {
	l.l.Warn("pyroscope: " + fmt.Sprintf(format, args...))
}
