package profiling

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/goxkit/gox/internal/clock"
	"github.com/goxkit/gox/report"
	"github.com/goxkit/gox/transport"
)

// Option configures a Profiler.
type Option func(*options)

type options struct {
	reporter report.Reporter
	logger   *slog.Logger
	now      func() time.Time
	read     func() (Sample, error)
}

// WithReporter reports every capture to r (a report.Dispatcher's reporter,
// Sentry, email). Without it, captures are only written and logged.
func WithReporter(r report.Reporter) Option { return func(o *options) { o.reporter = r } }

// WithLogger logs captures and failures to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock reads the time from now (tests): cooldowns, file names and the
// wall time CPU usage is measured over. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReader replaces what the Profiler reads each interval (tests, or
// values of the service's own); an error skips the reading.
func WithReader(read func() (Sample, error)) Option { return func(o *options) { o.read = read } }

// reportTimeout bounds the Reporter's handling of one capture.
const reportTimeout = 30 * time.Second

// maxAttachment bounds the profile attached to a report; a bigger one is
// named in the report, not attached.
const maxAttachment = 16 << 20

// Profiler watches the service's CPU, heap and goroutines and captures a
// profile of each spike; see the package doc. It is a gox Server: Start
// blocks until Stop or its context ends.
type Profiler struct {
	cfg   Config
	o     options
	store store
	watch []*watch
	sleep func(ctx context.Context, d time.Duration) bool

	mu       sync.Mutex
	started  bool
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// New returns a Profiler for cfg, its zero fields set to DefaultConfig's,
// or the error of Validate. It reads nothing until started.
func New(cfg Config, opts ...Option) (*Profiler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.read == nil {
		o.read = newReader(o.now).read
	}
	p := &Profiler{cfg: cfg, o: o, store: store{cfg.Dir, cfg.KeepFiles, cfg.MaxBytes},
		sleep: clock.Sleep, stop: make(chan struct{})}
	for _, w := range []struct {
		name, unit string
		rule       Rule
	}{{"goroutine", "", cfg.Goroutine}, {"heap", "MiB", cfg.Heap}, {"cpu", "%", cfg.CPU}} {
		p.watch = append(p.watch, &watch{name: w.name, unit: w.unit, rule: w.rule, hist: newHistory(cfg.History)})
	}
	return p, nil
}

var _ transport.Server = (*Profiler)(nil)

var errStarted = errors.New("profiling: profiler already started")

// Start reads the values every Interval and captures the spikes until ctx
// ends or Stop is called; then it returns nil. Start at most once.
func (p *Profiler) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return errStarted
	}
	p.started = true
	p.done = make(chan struct{})
	defer close(p.done)
	p.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	select {
	case <-p.stop:
		return nil
	default:
	}
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	p.tick(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.tick(ctx)
		}
	}
}

// Stop ends Start, cutting a CPU profile being recorded short, and waits
// for it until ctx ends.
func (p *Profiler) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tick takes one reading and captures what it shows.
func (p *Profiler) tick(ctx context.Context) {
	s, err := p.o.read()
	if err != nil {
		if !errors.Is(err, errNoCPU) {
			p.o.logger.Warn("profiling: reading failed", "error", err)
		}
		return
	}
	now := p.o.now()
	values := map[string]float64{"goroutine": s.Goroutines, "heap": s.HeapMiB, "cpu": s.CPU}
	for _, w := range p.watch {
		if sp, ok := w.check(now, values[w.name]); ok {
			if ctx.Err() != nil {
				return
			}
			p.capture(ctx, sp)
		}
	}
}

// capture records the profile of sp, writes it and reports it. A profile
// that cannot be taken or written is still reported, saying why.
func (p *Profiler) capture(ctx context.Context, sp spike) {
	at := p.o.now()
	data, err := p.profile(ctx, sp.name)
	tags := sp.tags()
	var path string
	if err == nil {
		path, err = p.store.write(at, sp.name, data)
		if path == "" {
			data = nil
		}
	}
	if err != nil {
		tags["capture_error"] = err.Error()
		p.o.logger.Warn("profiling: capture failed", "rule", sp.name, "error", err)
	}
	msg := spikeMessage(sp)
	if path != "" {
		tags["file"] = path
		p.o.logger.Warn("profiling: "+msg, "file", path)
	}
	p.report(ctx, &report.Report{Time: at, Kind: report.KindProfile, Operation: "profile " + sp.name,
		Err: errors.New(msg), Message: msg, Tags: tags, Attachments: attachments(path, data, tags)})
}

func spikeMessage(sp spike) string {
	unit := sp.unit
	if unit != "" && unit != "%" {
		unit = " " + unit
	}
	v := fmt.Sprintf("%s spike: %g%s", sp.name, round(sp.value), unit)
	switch {
	case sp.reason == ReasonAbs:
		return fmt.Sprintf("%s, above the absolute threshold of %g%s", v, round(sp.threshold), unit)
	case sp.avg == 0:
		return fmt.Sprintf("%s, above an average of 0", v)
	}
	return fmt.Sprintf("%s, %g%% above its average of %g%s (threshold %g%s)", v,
		round(sp.value/sp.avg*100-100), round(sp.avg), unit, round(sp.threshold), unit)
}

func attachments(path string, data []byte, tags map[string]string) []report.Attachment {
	if data == nil {
		return nil
	}
	if len(data) > maxAttachment {
		tags["attachment"] = fmt.Sprintf("not attached: %d bytes, more than %d", len(data), maxAttachment)
		return nil
	}
	return []report.Attachment{{Name: filepath.Base(path), ContentType: "application/octet-stream", Data: data}}
}

// profile takes the profile of a rule: the CPU for CPUDuration (cut short
// when ctx ends), the heap or the goroutines at once, in the pprof format.
func (p *Profiler) profile(ctx context.Context, rule string) ([]byte, error) {
	var buf bytes.Buffer
	if rule == "cpu" {
		if err := pprof.StartCPUProfile(&buf); err != nil {
			return nil, fmt.Errorf("profiling: CPU profile: %w (the pprof endpoint or a continuous profiler is recording one)", err)
		}
		p.sleep(ctx, p.cfg.CPUDuration)
		pprof.StopCPUProfile()
		return buf.Bytes(), nil
	}
	prof := pprof.Lookup(rule)
	if prof == nil {
		return nil, fmt.Errorf("profiling: no %s profile", rule)
	}
	if err := prof.WriteTo(&buf, 0); err != nil {
		return nil, fmt.Errorf("profiling: %s profile: %w", rule, err)
	}
	return buf.Bytes(), nil
}

// report hands r to the Reporter, bounded in time; a Reporter that fails or
// panics is logged and the Profiler goes on.
func (p *Profiler) report(ctx context.Context, r *report.Report) {
	if p.o.reporter == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			p.o.logger.Error("profiling: reporter panicked", "rule", r.Tags["rule"], "panic", v)
		}
	}()
	if err := p.o.reporter.Report(ctx, r); err != nil {
		p.o.logger.Warn("profiling: report failed", "rule", r.Tags["rule"], "error", err)
	}
}
