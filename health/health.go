// Package health owns liveness and readiness. Liveness means the process
// serves; readiness means it should get traffic: every named check passes and
// the App is not shutting down. HTTP exposes it as /healthz and /readyz, gRPC
// as the standard grpc.health.v1 service.
package health

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Check reports whether a dependency is usable; nil means healthy. It must
// honour ctx.
type Check func(ctx context.Context) error

// Report is the outcome of a readiness evaluation.
type Report struct {
	Ready bool `json:"ready"`
	// Checks maps each check's name to "ok" or its error text.
	Checks map[string]string `json:"checks,omitempty"`
	// ShuttingDown is true once the App began to stop.
	ShuttingDown bool `json:"shutting_down,omitempty"`
}

// Health holds named checks and the shutting-down flag. Safe for concurrent use.
type Health struct {
	mu       sync.RWMutex
	checks   map[string]Check
	timeout  time.Duration
	shutting atomic.Bool
	changed  chan struct{} // closed and replaced when the state changes
}

// New returns a Health whose checks each get timeout (1s when <= 0).
func New(timeout time.Duration) *Health {
	if timeout <= 0 {
		timeout = time.Second
	}
	return &Health{checks: map[string]Check{}, timeout: timeout, changed: make(chan struct{})}
}

// Add registers a readiness check under name, replacing one of the same name.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	h.checks[name] = c
	h.notifyLocked()
	h.mu.Unlock()
}

// SetShuttingDown makes readiness false from now on.
func (h *Health) SetShuttingDown() {
	if h.shutting.CompareAndSwap(false, true) {
		h.mu.Lock()
		h.notifyLocked()
		h.mu.Unlock()
	}
}

// ShuttingDown reports whether SetShuttingDown was called.
func (h *Health) ShuttingDown() bool { return h.shutting.Load() }

// Changed returns a channel closed at the next change of checks or shutdown
// state; watchers re-evaluate then.
func (h *Health) Changed() <-chan struct{} {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.changed
}

func (h *Health) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Ready runs every check concurrently and reports the result.
func (h *Health) Ready(ctx context.Context) Report {
	if h.shutting.Load() {
		return Report{Ready: false, ShuttingDown: true}
	}
	h.mu.RLock()
	names := make([]string, 0, len(h.checks))
	for n := range h.checks {
		names = append(names, n)
	}
	checks := make([]Check, len(names))
	sort.Strings(names)
	for i, n := range names {
		checks[i] = h.checks[n]
	}
	h.mu.RUnlock()
	if len(checks) == 0 {
		return Report{Ready: true}
	}

	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, h.timeout)
			defer cancel()
			results[i] = c(cctx)
		})
	}
	wg.Wait()
	r := Report{Ready: true, Checks: make(map[string]string, len(names))}
	for i, n := range names {
		r.Checks[n] = "ok"
		if results[i] != nil {
			r.Ready = false
			r.Checks[n] = results[i].Error()
		}
	}
	return r
}
