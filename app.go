// Package gox runs a service: an App starts every transport.Server
// concurrently, registers the instance, and on SIGINT or SIGTERM turns
// readiness off, deregisters, stops accepting, drains in-flight work within a
// grace period and closes resources in reverse order of opening. A second
// signal forces the stop.
//
// Everything else lives in sub-packages: config, log, errors, middleware,
// transport/http, transport/grpc, health, metrics, registry.
package gox

import (
	"context"
	stderrors "errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/goxkit/gox/health"
	"github.com/goxkit/gox/registry"
	"github.com/goxkit/gox/transport"
)

// ErrForcedStop is returned by Run when a second signal cut the graceful stop short.
var ErrForcedStop = stderrors.New("gox: stop forced by a second signal")

// App is a service's lifecycle.
type App struct {
	o        options
	instance atomic.Pointer[registry.ServiceInstance]
}

// New returns an App.
func New(opts ...Option) *App {
	o := defaults()
	for _, f := range opts {
		f(&o)
	}
	if o.id == "" {
		host, _ := os.Hostname()
		o.id = host + "-" + strconv.FormatUint(rand.Uint64()&0xffffff, 36)
	}
	if o.health == nil {
		o.health = health.New(0)
	}
	return &App{o: o}
}

// Health returns the App's readiness.
func (a *App) Health() *health.Health { return a.o.health }

// Instance returns what the App registers; nil before Run bound the servers.
func (a *App) Instance() *registry.ServiceInstance { return a.instance.Load() }

// Run starts the App and blocks until it stops: on a signal, when ctx is
// canceled, or when a server fails. It returns nil after a clean stop, the
// first failure otherwise, or ErrForcedStop after a second signal.
func (a *App) Run(ctx context.Context) error {
	sigs := make(chan os.Signal, 2)
	if len(a.o.signals) > 0 {
		signal.Notify(sigs, a.o.signals...)
		defer signal.Stop(sigs)
	}
	if err := a.start(ctx); err != nil {
		return stderrors.Join(err, a.closeResources(context.Background()))
	}
	sctx := NewContext(context.WithoutCancel(ctx), a.instance.Load())
	eg, egctx := errgroup.WithContext(sctx)
	var launched sync.WaitGroup
	for _, s := range a.o.servers {
		launched.Add(1)
		eg.Go(func() error {
			launched.Done()
			return s.Start(sctx)
		})
	}
	launched.Wait() // listeners are bound already (start), so registering now is safe
	startErr := a.afterStart(egctx)

	var reason string
	switch {
	case startErr != nil:
		reason = "start failed"
	default:
		select {
		case sig := <-sigs:
			reason = "signal " + sig.String()
		case <-ctx.Done():
			reason = "context canceled"
		case <-egctx.Done():
			reason = "server failed"
		}
	}
	a.o.logger.Info("stopping", "service", a.o.name, "reason", reason, "grace", a.o.stopTimeout.String())

	done := make(chan error, 1)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.o.stopTimeout+a.o.stopDelay)
	defer cancel()
	go func() { done <- a.stop(stopCtx, eg) }()
	select {
	case err := <-done:
		err = stderrors.Join(startErr, err)
		if err == nil {
			a.o.logger.Info("stopped", "service", a.o.name)
		}
		return err
	case sig := <-sigs:
		a.o.logger.Warn("second signal: forcing stop", "signal", sig.String())
		cancel()
		return ErrForcedStop
	}
}

// start runs before-start hooks and binds every server's listener, so a port
// in use or a bad TLS file stops the App before anything runs.
func (a *App) start(ctx context.Context) error {
	for _, h := range a.o.beforeStart {
		if err := h(ctx); err != nil {
			return fmt.Errorf("gox: before-start hook: %w", err)
		}
	}
	ins := &registry.ServiceInstance{ID: a.o.id, Name: a.o.name, Version: a.o.version, Metadata: a.o.metadata}
	for i, s := range a.o.servers {
		e, ok := s.(transport.Endpointer)
		if !ok {
			continue
		}
		u, err := e.Endpoint()
		if err != nil {
			return fmt.Errorf("gox: server %d (%T) cannot start: %w", i, s, err)
		}
		ins.Endpoints = append(ins.Endpoints, u.String())
	}
	a.instance.Store(ins)
	return nil
}

func (a *App) afterStart(ctx context.Context) error {
	for _, h := range a.o.afterStart {
		if err := h(ctx); err != nil {
			return fmt.Errorf("gox: after-start hook: %w", err)
		}
	}
	if a.o.registrar != nil {
		rctx, cancel := context.WithTimeout(ctx, a.o.registrarTimeout)
		defer cancel()
		if err := a.o.registrar.Register(rctx, a.instance.Load()); err != nil {
			return fmt.Errorf("gox: register %s: %w", a.o.name, err)
		}
	}
	a.o.logger.Info("started", "service", a.o.name, "version", a.o.version, "id", a.o.id, "endpoints", a.instance.Load().Endpoints)
	return nil
}

// stop is the graceful sequence; every step runs even if an earlier one failed.
func (a *App) stop(ctx context.Context, eg *errgroup.Group) error {
	var errs []error
	a.o.health.SetShuttingDown()
	if a.o.registrar != nil {
		rctx, cancel := context.WithTimeout(ctx, a.o.registrarTimeout)
		if err := a.o.registrar.Deregister(rctx, a.instance.Load()); err != nil {
			errs = append(errs, fmt.Errorf("gox: deregister: %w", err))
		}
		cancel()
	}
	if a.o.stopDelay > 0 {
		select {
		case <-time.After(a.o.stopDelay):
		case <-ctx.Done():
		}
	}
	for _, h := range a.o.beforeStop {
		if err := h(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gox: before-stop hook: %w", err))
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, s := range a.o.servers {
		wg.Go(func() {
			if err := s.Stop(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("gox: stop server %d (%T): %w", i, s, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := eg.Wait(); err != nil {
		errs = append(errs, err)
	}
	for _, h := range a.o.afterStop {
		if err := h(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gox: after-stop hook: %w", err))
		}
	}
	errs = append(errs, a.closeResources(ctx))
	return stderrors.Join(errs...)
}

func (a *App) closeResources(ctx context.Context) error {
	var errs []error
	for i := len(a.o.resources) - 1; i >= 0; i-- {
		r := a.o.resources[i]
		if err := r.close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gox: close %s: %w", r.name, err))
		}
	}
	return stderrors.Join(errs...)
}

type instanceKey struct{}

// NewContext returns ctx carrying the running instance; servers' Start gets it.
func NewContext(ctx context.Context, ins *registry.ServiceInstance) context.Context {
	return context.WithValue(ctx, instanceKey{}, ins)
}

// FromContext returns the instance the App runs.
func FromContext(ctx context.Context) (*registry.ServiceInstance, bool) {
	ins, ok := ctx.Value(instanceKey{}).(*registry.ServiceInstance)
	return ins, ok
}
