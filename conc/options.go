package conc

import (
	"log/slog"
	"time"

	"github.com/goxkit/gox/report"
)

// Option configures Go, NewGroup and NewScheduler. Each option's comment
// says which of them read it; the others ignore it.
type Option func(*options)

type options struct {
	name          string
	timeout       time.Duration
	logger        *slog.Logger
	reporter      report.Submitter
	limit         int
	cancelOnError bool
	clock         Clock
	maxPending    int
	drainOnStop   bool
}

func newOptions(opts []Option) options {
	o := options{maxPending: DefaultMaxPending}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// log returns the logger to use: the configured one or slog.Default.
func (o *options) log() *slog.Logger {
	if o.logger != nil {
		return o.logger
	}
	return slog.Default()
}

// WithName names the task (Go) or the scheduler (NewScheduler) in logs and
// reports: it becomes the report's Operation. Default "conc.Go" and
// "conc.Scheduler".
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithTimeout bounds each function run by Go, by a Group or as a Scheduler
// task: its ctx is done after d. d <= 0 means no bound (the default).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogger sets where Go and the Scheduler log failed and panicking tasks
// (default slog.Default(), looked up at each failure).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithReporter sets the Submitter that Go and the Scheduler report failed
// and panicking tasks to, in preference to the one in the context
// (report.NewContext). A *report.Dispatcher is one.
func WithReporter(s report.Submitter) Option { return func(o *options) { o.reporter = s } }

// WithLimit bounds how many of a Group's functions run at once: Group.Go
// waits for a free slot. n <= 0 means no bound (the default).
func WithLimit(n int) Option { return func(o *options) { o.limit = n } }

// WithCancelOnError makes a Group cancel its context at the first error, as
// errgroup.WithContext does: the running functions see ctx done and the
// ones not yet started are not started.
func WithCancelOnError() Option { return func(o *options) { o.cancelOnError = true } }

// WithClock sets the clock a Scheduler reads and waits on (default the
// system's); tests pass a fake one that they move by hand.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// DefaultMaxPending is how many tasks a Scheduler holds by default.
const DefaultMaxPending = 1 << 20

// WithMaxPending bounds how many tasks a Scheduler holds (default
// DefaultMaxPending): Delay and Schedule beyond it fail with ErrFull, so
// tasks scheduled per request cannot grow the heap without bound.
// n <= 0 means no bound.
func WithMaxPending(n int) Option { return func(o *options) { o.maxPending = n } }

// WithDrainOnStop makes a Scheduler's Stop behave as Wait: it runs every
// pending task at its time, until Stop's ctx is done. By default Stop runs
// the tasks already due and drops the later ones.
func WithDrainOnStop() Option { return func(o *options) { o.drainOnStop = true } }
