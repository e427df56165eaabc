// Package prometheus records gox's shared metrics (see the core metrics
// package) in Prometheus and serves them: New builds a registry with the Go
// runtime and process collectors and the gox server and client series; Server
// and Client return the Recorders the metrics middleware takes; Handler serves
// /metrics. The latency histograms' buckets default to
// metrics.DurationBuckets (50µs to 10s) and are set with WithBuckets or from
// config with NewFromConfig.
package prometheus

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/goxkit/gox/metrics"
)

// Metrics owns a registry and the gox series in it.
type Metrics struct {
	reg         *prometheus.Registry
	server      *recorder
	client      *recorder
	constLabels prometheus.Labels
}

type options struct {
	buckets     []float64
	constLabels prometheus.Labels
	noRuntime   bool
}

// Option configures New.
type Option func(*options)

// WithBuckets sets the latency histogram buckets in seconds, increasing
// (default metrics.DurationBuckets: 50µs to 10s). New panics on buckets that
// do not increase, as client_golang does; NewFromConfig checks them and
// returns an error instead.
func WithBuckets(b []float64) Option { return func(o *options) { o.buckets = slices.Clone(b) } }

// Config is the metrics section of a service's config.
type Config struct {
	// Buckets are the upper bounds of the latency histograms, increasing:
	// [50us, 100us, 250us, 1ms, ...]. Empty: metrics.DurationBuckets
	// (50µs, 100µs, 250µs, 500µs, 1ms, 2.5ms ... 2.5s, 5s, 10s).
	Buckets []time.Duration `yaml:"buckets"`
}

// NewFromConfig is New with the buckets of c (opts apply after them). A
// bucket list that is not positive and increasing is an error naming the
// entry.
func NewFromConfig(c Config, opts ...Option) (*Metrics, error) {
	if len(c.Buckets) == 0 {
		return New(opts...), nil
	}
	b := make([]float64, len(c.Buckets))
	for i, d := range c.Buckets {
		if d <= 0 || (i > 0 && d <= c.Buckets[i-1]) {
			return nil, fmt.Errorf("metrics: buckets[%d] = %s: buckets must be positive and increasing", i, d)
		}
		b[i] = d.Seconds()
	}
	return New(append([]Option{WithBuckets(b)}, opts...)...), nil
}

// WithConstLabels adds labels to every gox series (service, zone ...).
func WithConstLabels(l map[string]string) Option { return func(o *options) { o.constLabels = l } }

// WithoutRuntimeCollectors leaves out the Go runtime and process collectors.
func WithoutRuntimeCollectors() Option { return func(o *options) { o.noRuntime = true } }

// New returns Metrics with a fresh registry.
func New(opts ...Option) *Metrics {
	o := options{buckets: metrics.DurationBuckets()}
	for _, f := range opts {
		f(&o)
	}
	reg := prometheus.NewRegistry()
	if !o.noRuntime {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		reg:         reg,
		constLabels: o.constLabels,
		server: newRecorder(reg, o, metrics.ServerRequestsTotal, metrics.ServerRequestDuration, metrics.ServerRequestsInFlight,
			"Requests handled, by transport kind, operation and gox code.",
			"Time to handle a request, in seconds.", "Requests being handled."),
		client: newRecorder(reg, o, metrics.ClientRequestsTotal, metrics.ClientRequestDuration, metrics.ClientRequestsInFlight,
			"Outgoing calls, by transport kind, operation and gox code.",
			"Time of an outgoing call, in seconds.", "Outgoing calls under way."),
	}
	return m
}

// Server returns the Recorder of requests this process handles.
func (m *Metrics) Server() metrics.Recorder { return m.server }

// Client returns the Recorder of calls this process makes.
func (m *Metrics) Client() metrics.Recorder { return m.client }

// Registry returns the registry, to register the service's own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchRegistry exposes metrics.RegistryHealthy: 1 while healthy says the
// instance is registered (pass a registry.Keeper's Healthy), 0 otherwise.
func (m *Metrics) WatchRegistry(healthy func() bool) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: metrics.RegistryHealthy,
		Help: "1 while this instance is registered in its service registry, 0 otherwise.",
	}, func() float64 {
		if healthy() {
			return 1
		}
		return 0
	}))
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

type recorder struct {
	total    *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec

	// The series of each label set, looked up once: operations are route
	// templates and codes a short list, so this holds what the vectors hold.
	// Copy-on-write maps: every request reads them, new label sets are rare.
	series cowMap[seriesKey, *series]
	gauges cowMap[string, prometheus.Gauge]
}

// cowMap is a map read without locks and copied on each insertion.
type cowMap[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

func (c *cowMap[K, V]) load(k K) (V, bool) {
	var v V
	m := c.m.Load()
	if m == nil {
		return v, false
	}
	v, ok := (*m)[k]
	return v, ok
}

// store adds k → v unless k is there already, and returns what k maps to.
func (c *cowMap[K, V]) store(k K, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	m := map[K]V{}
	if old != nil {
		if have, ok := (*old)[k]; ok {
			return have
		}
		m = maps.Clone(*old)
	}
	m[k] = v
	c.m.Store(&m)
	return v
}

type seriesKey struct{ kind, operation, code string }

type series struct {
	total   prometheus.Counter
	seconds prometheus.Observer
}

var (
	_ metrics.Recorder = (*recorder)(nil)
	_ metrics.Binder   = (*recorder)(nil)
)

func newRecorder(reg prometheus.Registerer, o options, total, seconds, inFlight, totalHelp, secondsHelp, inFlightHelp string) *recorder {
	r := &recorder{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{Name: total, Help: totalHelp, ConstLabels: o.constLabels},
			metrics.CounterLabels()),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: seconds, Help: secondsHelp, Buckets: o.buckets, ConstLabels: o.constLabels},
			metrics.DurationLabels()),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: inFlight, Help: inFlightHelp, ConstLabels: o.constLabels},
			metrics.InFlightLabels()),
	}
	reg.MustRegister(r.total, r.seconds, r.inFlight)
	return r
}

func (r *recorder) InFlight(kind string, delta float64) {
	g, ok := r.gauges.load(kind)
	if !ok {
		g = r.gauges.store(kind, r.inFlight.WithLabelValues(kind))
	}
	g.Add(delta)
}

func (r *recorder) Observe(kind, operation, code string, seconds float64) {
	k := seriesKey{kind, operation, code}
	s, ok := r.series.load(k)
	if !ok {
		s = r.series.store(k, &series{
			total:   r.total.WithLabelValues(kind, operation, code),
			seconds: r.seconds.WithLabelValues(kind, operation),
		})
	}
	s.total.Inc()
	s.seconds.Observe(seconds)
}

// Bind implements metrics.Binder: the gauge and histogram of kind and
// operation are found now, the counter of each code the first time it is
// recorded.
func (r *recorder) Bind(kind, operation string) metrics.Bound {
	g, ok := r.gauges.load(kind)
	if !ok {
		g = r.gauges.store(kind, r.inFlight.WithLabelValues(kind))
	}
	return &bound{r: r, kind: kind, operation: operation, gauge: g,
		seconds: r.seconds.WithLabelValues(kind, operation)}
}

// bound is one operation's series; its counters, one per code seen, sit in a
// short copy-on-write list (codes are few and a linear scan beats hashing).
type bound struct {
	r               *recorder
	kind, operation string
	gauge           prometheus.Gauge
	seconds         prometheus.Observer
	codes           atomic.Pointer[[]codeCounter]
	mu              sync.Mutex
}

type codeCounter struct {
	code  string
	total prometheus.Counter
}

func (b *bound) InFlight(delta float64) { b.gauge.Add(delta) }

func (b *bound) Observe(code string, seconds float64) {
	b.counter(code).Inc()
	b.seconds.Observe(seconds)
}

func (b *bound) counter(code string) prometheus.Counter {
	if p := b.codes.Load(); p != nil {
		for _, c := range *p {
			if c.code == code {
				return c.total
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var old []codeCounter
	if p := b.codes.Load(); p != nil {
		old = *p
		for _, c := range old {
			if c.code == code {
				return c.total
			}
		}
	}
	c := b.r.total.WithLabelValues(b.kind, b.operation, code)
	list := append(append(make([]codeCounter, 0, len(old)+1), old...), codeCounter{code, c})
	b.codes.Store(&list)
	return c
}
