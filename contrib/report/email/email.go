// Package email is a gox report.Reporter that mails the failures a service
// did not expect over SMTP (wneessen/go-mail): implicit TLS, STARTTLS
// (required or opportunistic) or none, PLAIN or LOGIN authentication, a
// subject made from a template over the service, code and operation, and
// the report's attachments (a captured profile) attached.
//
//	rep, err := email.New(cfg.Email) // a bad key is refused here, by name
//	d, err := report.NewDispatcher(report.WithReporter(rep))
//	app := gox.New(..., gox.WithResource("email", rep.Close))
//
// # Grouping
//
// Identical failures — the same code, operation and stack, the stack rid of
// goroutine ids, argument values, pc offsets and addresses — form a group.
// The first failure of a group is mailed at once, so an alert is never
// late. The identical failures that follow within Config.Window are only
// counted; when the window ends, one email says how many there were,
// between when and when, and shows the last of them. A failure that goes
// on is so mailed once a window, however often it happens; a group whose
// window ends quiet is forgotten. Flush (and Close) mails the counts still
// pending, as the service stops.
//
// # Limits
//
// At most Config.MaxPerHour emails go out in any hour. An alert over that
// is not sent: it is counted (Stats.Limited), logged once until the next
// email, and the next email that goes out says how many alerts and
// failures were held back. Config.MaxGroups bounds the groups remembered.
//
// # A server that is down
//
// Report sends the first email of a group before it returns, within
// SMTPConfig.Timeout (connecting and the whole SMTP conversation); a
// failure is returned, counted (Stats.Failed) and logged. For
// SMTPConfig.Backoff after it, emails fail at once without dialing, so an
// outage costs one timeout per backoff. Reports go to a Reporter through
// report's Dispatcher, from a goroutine of its own, so none of this is
// ever on a request's path.
package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"text/template"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/goxkit/gox/report"
)

// ErrBackoff is the error of an email not tried because the SMTP server
// failed the last one less than SMTPConfig.Backoff ago.
var ErrBackoff = errors.New("email: SMTP server failed recently, not retried yet")

// Stats counts what a Reporter did.
type Stats struct {
	// Sent is the emails the SMTP server took.
	Sent int64
	// Folded is the failures counted into a group's window instead of
	// being mailed on their own.
	Folded int64
	// Limited is the emails not sent over Config.MaxPerHour.
	Limited int64
	// Failed is the emails the SMTP server did not take (down, refused,
	// timed out) or that were not tried in a backoff.
	Failed int64
	// Ungrouped is the failures mailed on their own because the group
	// table was full (Config.MaxGroups).
	Ungrouped int64
}

type options struct {
	logger *slog.Logger
	now    func() time.Time
	tick   time.Duration
}

// Option configures New.
type Option func(*options)

// WithLogger logs failed and held-back emails to l instead of
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock makes the windows, the hourly limit and the backoff read the
// time from now instead of time.Now (a fake clock in tests). The SMTP
// timeouts stay on the real clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Reporter mails reports. It is a report.Reporter and a report.Flusher;
// Close ends it. Its methods are safe for concurrent use; emails are sent
// one at a time.
type Reporter struct {
	cfg     Config
	client  *mail.Client
	subject *template.Template
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex // guards what follows
	groups    *groups
	limit     limiter
	held      held      // alerts not sent since the last email that was
	loggedCap bool      // the cap was logged since the last email
	downUntil time.Time // the backoff after a failed email
	stats     Stats

	sendMu sync.Mutex // one email at a time; taken before mu

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ report.Reporter = (*Reporter)(nil)
	_ report.Flusher  = (*Reporter)(nil)
)

// New validates cfg and returns a Reporter. Nothing is dialed until the
// first email. A goroutine mails the counts of ended windows; Close stops
// it.
func New(cfg Config, opts ...Option) (*Reporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.Default(), now: time.Now, tick: tickFor(cfg.Window)}
	for _, f := range opts {
		f(&o)
	}
	client, err := newClient(cfg.SMTP)
	if err != nil {
		return nil, err
	}
	subject, _ := parseSubject(cfg.Subject) // checked by Validate
	rep := &Reporter{cfg: cfg, client: client, subject: subject, log: o.logger, now: o.now,
		groups: newGroups(cfg.Window, cfg.MaxGroups), limit: limiter{max: cfg.MaxPerHour, period: time.Hour},
		stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.Window > 0 && o.tick > 0 {
		go rep.run(o.tick)
	} else {
		close(rep.done)
	}
	return rep, nil
}

// tickFor is how often ended windows are looked for: a tenth of the
// window, from 1 to 30 seconds. A group's count is mailed at most that
// long after its window ends.
func tickFor(window time.Duration) time.Duration {
	return min(max(window/10, time.Second), 30*time.Second)
}

func newClient(s SMTPConfig) (*mail.Client, error) {
	host, portText, _ := net.SplitHostPort(s.Addr) // checked by Validate
	port, _ := strconv.Atoi(portText)
	tlsConfig, err := tlsConfig(s, host)
	if err != nil {
		return nil, err
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(s.Timeout), mail.WithTLSConfig(tlsConfig)}
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	switch s.Auth {
	case AuthPlain:
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	case AuthLogin:
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthLogin), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	if s.HELO != "" {
		opts = append(opts, mail.WithHELO(s.HELO))
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("email.smtp: %w", err)
	}
	return c, nil
}

// Report mails r, or counts it into its group's window. The first email
// of a group is sent before Report returns: its failure is returned.
// Alerts held back by the hourly limit are not errors.
func (rep *Reporter) Report(ctx context.Context, r *report.Report) error {
	if r == nil {
		return errors.New("email: nil report")
	}
	now := rep.now()
	key := fingerprint(r)
	rep.mu.Lock()
	a := rep.groups.add(key, r, now)
	if a == nil {
		rep.stats.Folded++
	} else if a.group == "" && rep.cfg.Window > 0 {
		rep.stats.Ungrouped++
	}
	rep.mu.Unlock()
	if a == nil {
		return nil
	}
	return rep.send(ctx, a)
}

// Flush mails the counts pending in every group, window ended or not,
// under the hourly limit. It returns the failures of those emails.
func (rep *Reporter) Flush(ctx context.Context) error {
	rep.mu.Lock()
	alerts := rep.groups.flush()
	rep.mu.Unlock()
	return rep.sendAll(ctx, alerts)
}

// Close stops the goroutine that mails ended windows and flushes. Calling
// it again only flushes.
func (rep *Reporter) Close(ctx context.Context) error {
	rep.closeOnce.Do(func() { close(rep.stop) })
	select {
	case <-rep.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return rep.Flush(ctx)
}

// Stats returns the counts so far.
func (rep *Reporter) Stats() Stats {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return rep.stats
}

func (rep *Reporter) run(tick time.Duration) {
	defer close(rep.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-rep.stop:
			return
		case <-t.C:
			_ = rep.sendDue(context.Background()) // failures are counted and logged
		}
	}
}

// sendDue mails the counts of the windows that have ended.
func (rep *Reporter) sendDue(ctx context.Context) error {
	rep.mu.Lock()
	alerts := rep.groups.due(rep.now())
	rep.mu.Unlock()
	return rep.sendAll(ctx, alerts)
}

func (rep *Reporter) sendAll(ctx context.Context, alerts []*alert) error {
	var errs []error
	for _, a := range alerts {
		if err := rep.send(ctx, a); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// send mails a unless the hourly limit or a backoff holds it back. Sends
// are one at a time (sendMu), so that an email tells the alerts held back
// before it exactly once.
func (rep *Reporter) send(ctx context.Context, a *alert) error {
	rep.sendMu.Lock()
	defer rep.sendMu.Unlock()
	now := rep.now()
	rep.mu.Lock()
	if now.Before(rep.downUntil) {
		rep.stats.Failed++
		rep.held.failed++
		rep.held.reports += a.count
		until := rep.downUntil
		rep.mu.Unlock()
		return fmt.Errorf("%w (until %s): %d failures of %s not mailed", ErrBackoff, stamp(until), a.count, oneLine(a.r.Operation, 200))
	}
	if !rep.limit.allow(now) {
		rep.stats.Limited++
		rep.held.limited++
		rep.held.reports += a.count
		first := !rep.loggedCap
		rep.loggedCap = true
		rep.mu.Unlock()
		if first {
			rep.log.Warn("email: hourly limit reached, alerts held back until the limit allows; the next email counts them",
				"max_per_hour", rep.cfg.MaxPerHour, "operation", a.r.Operation, "count", a.count)
		}
		return nil
	}
	h := rep.held
	rep.mu.Unlock()

	err := rep.deliver(ctx, a, h)

	rep.mu.Lock()
	defer rep.mu.Unlock()
	if err != nil {
		rep.stats.Failed++
		rep.held.failed++
		rep.held.reports += a.count
		rep.downUntil = now.Add(rep.cfg.SMTP.Backoff)
		rep.log.Error("email: alert not sent", "smtp", rep.cfg.SMTP.Addr, "operation", a.r.Operation,
			"count", a.count, "error", err, "retry_after", rep.cfg.SMTP.Backoff)
		return err
	}
	rep.stats.Sent++
	rep.held.limited -= h.limited
	rep.held.failed -= h.failed
	rep.held.reports -= h.reports
	rep.loggedCap = false
	return nil
}

func (rep *Reporter) deliver(ctx context.Context, a *alert, h held) error {
	m, err := rep.compose(a, h)
	if err != nil {
		return fmt.Errorf("email: composing the alert: %w", err)
	}
	if err := rep.client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("email: sending to %s: %w", rep.cfg.SMTP.Addr, err)
	}
	return nil
}
