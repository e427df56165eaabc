// Package sentry is a gox report.Reporter that sends the failures a service
// did not expect to Sentry, on getsentry/sentry-go. Each report becomes one
// Sentry event:
//
//   - the error as the event's exception, with the frames of its stack —
//     for a recovered panic the innermost frame is the panic site, and the
//     exception is marked unhandled;
//   - gox's message (the one the client was answered with) as the event's
//     message;
//   - tags to search by: kind, operation, code, reason, service, version,
//     request_id, panic, and the report's own tags;
//   - the trace context (trace_id, span_id), so that Sentry links the event
//     to its trace;
//   - for an HTTP failure the request: method, path, query and the headers
//     as gox redacted them (Authorization, Cookie and the like are
//     replaced here too, whatever the report holds);
//   - the environment and the release (service@version unless configured);
//   - the report's attachments (a captured profile);
//   - a fingerprint (kind, operation, code or reason, the innermost frame),
//     so that identical failures make one Sentry issue and different ones do
//     not;
//   - the last log records as breadcrumbs, kept by a Breadcrumbs handler
//     wrapped around the service's log handler.
//
// The Reporter has a sentry.Client of its own: it neither reads nor changes
// sentry-go's global hub, and two Reporters in one process do not meet.
// Report sends the event before it returns (sentry-go's synchronous
// transport) and returns an error when the event was not delivered, so the
// report.Dispatcher that calls it counts the failure; a Sentry that does not
// answer holds one report for at most Config.Timeout, or less when Report's
// context ends first. Sampling is done here, with Config.SampleRate: 0
// sends nothing, 1 everything.
//
// Wiring, with the Dispatcher that feeds Reporters from a bounded queue:
//
//	crumbs := sentry.NewBreadcrumbs()
//	logger := slog.New(crumbs.Handler(base.Handler()))
//	rep, err := sentry.New(cfg.Sentry, sentry.WithBreadcrumbs(crumbs), sentry.WithLogger(logger))
//	if err != nil {
//		return err // "sentry.dsn: ...": the service does not start
//	}
//	d, err := report.NewDispatcher(report.WithReporter(rep), ...)
//	...
//	app := gox.New(...,
//		gox.WithResource("sentry", rep.Close), // closed after d: resources close in reverse
//		gox.WithResource("report", d.Close),   // delivers what is queued, flushes rep
//	)
package sentry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/report"
)

// Config is the sentry section of a service's config.
type Config struct {
	// DSN is the project's client key URL, as Sentry shows it:
	// https://PUBLIC_KEY@o1.ingest.sentry.io/PROJECT_ID. Required; New
	// refuses one that is malformed, naming the key (sentry.dsn) and never
	// repeating the DSN, whose key is a credential.
	DSN string `yaml:"dsn"`
	// Environment and Release are the events'; empty takes the report's:
	// the service's environment, and service@version.
	Environment string `yaml:"environment"`
	Release     string `yaml:"release"`
	// SampleRate is the share of reports sent, 0 to 1: 1 sends all, 0
	// none (New logs a warning then).
	SampleRate float64 `yaml:"sample_rate"`
	// ServerName names the host in the events; empty: the host name.
	ServerName string `yaml:"server_name"`
	// Debug makes sentry-go write what it does to stderr. sentry-go's debug
	// log is the process's: it stays on once a Reporter turned it on.
	Debug bool `yaml:"debug"`
	// MaxBreadcrumbs is how many of the last log records kept by the
	// Breadcrumbs given to New go with an event, at most 100; 0 sends none.
	MaxBreadcrumbs int `yaml:"max_breadcrumbs"`
	// Timeout bounds the sending of one event: connecting, writing, the
	// answer. The context given to Report can shorten it.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig sends every report, with 30 breadcrumbs (sentry-go's
// default), and gives up on an event after 5 seconds. The DSN is the
// service's to give.
func DefaultConfig() Config {
	return Config{SampleRate: 1, MaxBreadcrumbs: 30, Timeout: 5 * time.Second}
}

// Validate reports the first invalid key, named as it is in a service's
// config (sentry.dsn, sentry.sample_rate ...).
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("sentry.dsn is empty: give the project's DSN, https://PUBLIC_KEY@HOST/PROJECT_ID (for instance ${SENTRY_DSN})")
	}
	if err := checkDSN(c.DSN); err != nil {
		return fmt.Errorf("sentry.dsn is malformed: %v; want https://PUBLIC_KEY@HOST/PROJECT_ID", err)
	}
	switch {
	case !(c.SampleRate >= 0 && c.SampleRate <= 1): // NaN too
		return fmt.Errorf("sentry.sample_rate %v is outside 0..1", c.SampleRate)
	case c.MaxBreadcrumbs < 0 || c.MaxBreadcrumbs > ringSize:
		return fmt.Errorf("sentry.max_breadcrumbs %d is outside 0..%d", c.MaxBreadcrumbs, ringSize)
	case c.Timeout <= 0:
		return fmt.Errorf("sentry.timeout %v must be positive", c.Timeout)
	}
	return nil
}

// checkDSN parses dsn as sentry-go does, with errors that do not quote it.
func checkDSN(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, key included
		}
		return fmt.Errorf("not a URL (%v)", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", truncate(u.Scheme, 20))
	case u.User.Username() == "":
		return errors.New("no public key (the user part of the URL)")
	case u.Hostname() == "":
		return errors.New("no host")
	case strings.Trim(u.Path, "/") == "" || strings.HasSuffix(u.Path, "/"):
		return errors.New("no project id (the last segment of the path)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("the port is not 1..65535")
		}
	}
	if _, err := sentry.NewDsn(dsn); err != nil { // what is left: the port
		var pe *sentry.DsnParseError
		if errors.As(err, &pe) && !strings.HasPrefix(pe.Message, "invalid url") { // that one quotes the DSN
			return errors.New(pe.Message)
		}
		return errors.New("refused by sentry-go")
	}
	return nil
}

type options struct {
	logger *slog.Logger
	crumbs *Breadcrumbs
	rand   func() float64
}

// Option configures New.
type Option func(*options)

// WithLogger logs what the Reporter has to say (a sample_rate of 0, at New)
// to l instead of slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithBreadcrumbs sends the last Config.MaxBreadcrumbs log records kept by
// b with each event. Without it events carry no breadcrumbs.
func WithBreadcrumbs(b *Breadcrumbs) Option { return func(o *options) { o.crumbs = b } }

// Reporter sends reports to Sentry. It is a report.Reporter and a
// report.Flusher; Close ends it. Its methods are safe for concurrent use;
// reports are sent one at a time.
type Reporter struct {
	cfg    Config
	client *sentry.Client
	crumbs *Breadcrumbs
	rand   func() float64
	rt     *roundTripper

	// sem holds the right to send (one event at a time: rt follows the
	// one being sent) and, once closed is set, to nothing.
	sem    chan struct{}
	closed bool
	// stop ends a send still running when Close's context is done.
	stop       context.Context
	cancelStop context.CancelFunc
}

var (
	_ report.Reporter = (*Reporter)(nil)
	_ report.Flusher  = (*Reporter)(nil)
)

// New returns a Reporter for c, or the error of Validate: a service with a
// malformed DSN refuses to start rather than lose its reports.
func New(c Config, opts ...Option) (*Reporter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default(), rand: rand.Float64}
	for _, f := range opts {
		f(&o)
	}
	rt := &roundTripper{next: newHTTPTransport()}
	tr := sentry.NewHTTPSyncTransport()
	tr.Timeout = c.Timeout
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         c.DSN,
		Debug:       c.Debug,
		Environment: c.Environment,
		// set so that sentry-go does not look for one (it would run git);
		// an event with no release of its own gets none (beforeSend)
		Release:    first(c.Release, noRelease),
		ServerName: c.ServerName,
		// sampled by Report: sentry-go reads a rate of 0 as 1
		SampleRate:    1,
		Transport:     tr,
		HTTPTransport: rt,
		BeforeSend:    beforeSend,
	})
	if err != nil { // Validate parsed the DSN already
		return nil, errors.New("sentry.dsn is malformed: refused by sentry-go")
	}
	if c.SampleRate == 0 {
		o.logger.Warn("sentry.sample_rate is 0: no report will be sent to Sentry")
	}
	stop, cancel := context.WithCancel(context.Background())
	rep := &Reporter{
		cfg: c, client: client, crumbs: o.crumbs, rand: o.rand, rt: rt,
		sem: make(chan struct{}, 1), stop: stop, cancelStop: cancel,
	}
	return rep, nil
}

// noRelease stands for "no release" in sentry-go's options.
const noRelease = "\x00gox:no-release"

func beforeSend(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if ev.Release == noRelease {
		ev.Release = ""
	}
	return ev
}

// newHTTPTransport is http.DefaultTransport's settings (proxy from the
// environment, dial and TLS timeouts) in a transport of the Reporter's own.
func newHTTPTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport
}

// ErrClosed is returned by Report after Close.
var ErrClosed = errors.New("sentry: the reporter is closed")

// Report sends r to Sentry as one event and returns when Sentry has
// answered. It returns nil for a report the sample rate leaves out, and an
// error when the event could not be delivered: Sentry unreachable or too
// slow (Config.Timeout), an answer other than 2xx, Sentry's rate limit
// still running, ctx done, the Reporter closed.
func (rep *Reporter) Report(ctx context.Context, r *report.Report) error {
	if r == nil {
		return nil
	}
	if rep.cfg.SampleRate < 1 && !(rep.rand() < rep.cfg.SampleRate) {
		return nil
	}
	ev := rep.event(r)
	select {
	case rep.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sentry: event not sent: %w", context.Cause(ctx))
	}
	defer func() { <-rep.sem }()
	if rep.closed {
		return ErrClosed
	}
	res := &result{}
	rep.rt.begin(ctx, rep.stop, res)
	id := rep.client.CaptureEvent(ev, nil, nil)
	rep.rt.end()
	switch {
	case id == nil:
		return nil // dropped by sentry-go's processing: nothing was meant to go
	case res.err != nil:
		return fmt.Errorf("sentry: event %s not delivered: %w", *id, res.err)
	case !res.sent:
		return fmt.Errorf("sentry: event %s not sent: Sentry asked to back off (rate limit) or the event did not encode", *id)
	case res.status < 200 || res.status > 299:
		return fmt.Errorf("sentry: event %s refused: %d %s", *id, res.status, http.StatusText(res.status))
	}
	return nil
}

// Flush returns once the event being sent, if any, is delivered or ctx is
// done. Report sends each event before it returns, so nothing else waits;
// Flush is there for the report.Flusher contract.
func (rep *Reporter) Flush(ctx context.Context) error {
	select {
	case rep.sem <- struct{}{}:
		<-rep.sem
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sentry: flush: %w", context.Cause(ctx))
	}
}

// Close waits for the event being sent, ends it when ctx is done first,
// and releases the client; Report returns ErrClosed after it. It fits
// gox.WithResource: the App closes it as it stops, after the servers (and
// the Dispatcher that feeds the Reporter) are done.
func (rep *Reporter) Close(ctx context.Context) error {
	var err error
	select {
	case rep.sem <- struct{}{}:
	case <-ctx.Done():
		err = fmt.Errorf("sentry: close: the event being sent was abandoned: %w", context.Cause(ctx))
		rep.cancelStop()
		rep.sem <- struct{}{} // the send ends at once now
	}
	defer func() { <-rep.sem }()
	if !rep.closed {
		rep.closed = true
		rep.cancelStop()
		rep.client.Close()
		if t, ok := rep.rt.next.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}
	return err
}
