package report

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config is the `report:` block of a service's config.yaml: how many
// reports may wait, which failures are reported, what is kept out of them.
// The reporters themselves (Sentry, email) have their own blocks.
type Config struct {
	// QueueSize is how many reports may wait for delivery; a report
	// submitted while they are all taken is dropped and counted
	// (default 1024).
	QueueSize int `yaml:"queue_size"`
	// MinCode is the lowest code reported (default 500): 400 reports the
	// expected failures too (bad input, not found, rate limited). Panics
	// and dead letters are reported whatever their code.
	MinCode int `yaml:"min_code"`
	// Timeout bounds each Reporter's handling of one report (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// RedactHeaders are request headers whose values are replaced by
	// "[redacted]", besides Authorization, Cookie, Set-Cookie,
	// Proxy-Authorization and X-Api-Key.
	RedactHeaders []string `yaml:"redact_headers"`
	// RedactQuery are query parameters whose values are replaced, besides
	// access_token, token, api_key, apikey, password and secret.
	RedactQuery []string `yaml:"redact_query"`
}

// Redacted replaces a secret value in a report.
const Redacted = "[redacted]"

// DefaultRedactHeaders are the headers always redacted.
var DefaultRedactHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization", "X-Api-Key"}

// DefaultRedactQuery are the query parameters always redacted.
var DefaultRedactQuery = []string{"access_token", "token", "api_key", "apikey", "password", "secret"}

func (c Config) validate() error {
	switch {
	case c.QueueSize < 0:
		return fmt.Errorf("report: queue_size %d is negative", c.QueueSize)
	case c.MinCode != 0 && (c.MinCode < 400 || c.MinCode > 599):
		return fmt.Errorf("report: min_code %d is not a 4xx or 5xx code", c.MinCode)
	case c.Timeout < 0:
		return fmt.Errorf("report: timeout %s is negative", c.Timeout)
	}
	for i, h := range c.RedactHeaders {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " \t\r\n:") {
			return fmt.Errorf("report: redact_headers[%d] %q is not a header name", i, h)
		}
	}
	for i, q := range c.RedactQuery {
		if strings.TrimSpace(q) == "" {
			return fmt.Errorf("report: redact_query[%d] is empty", i)
		}
	}
	return nil
}

// Option configures a Dispatcher.
type Option func(*options)

type options struct {
	cfg       Config
	reporters []Reporter
	logger    *slog.Logger
	now       func() time.Time
	service   string
	version   string
	env       string
}

// WithConfig sets the dispatcher's Config; options given after it change
// single fields of it.
func WithConfig(c Config) Option { return func(o *options) { o.cfg = c } }

// WithReporter adds reporters; each gets every report, in the order added.
func WithReporter(r ...Reporter) Option {
	return func(o *options) { o.reporters = append(o.reporters, r...) }
}

// WithQueueSize sets Config.QueueSize.
func WithQueueSize(n int) Option { return func(o *options) { o.cfg.QueueSize = n } }

// WithMinCode sets Config.MinCode: WithMinCode(400) reports expected failures too.
func WithMinCode(code int) Option { return func(o *options) { o.cfg.MinCode = code } }

// WithTimeout sets Config.Timeout.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.cfg.Timeout = d } }

// WithRedactHeaders redacts these request headers too.
func WithRedactHeaders(names ...string) Option {
	return func(o *options) { o.cfg.RedactHeaders = append(o.cfg.RedactHeaders, names...) }
}

// WithRedactQuery redacts these query parameters too.
func WithRedactQuery(params ...string) Option {
	return func(o *options) { o.cfg.RedactQuery = append(o.cfg.RedactQuery, params...) }
}

// WithService stamps the service's name, version and environment on every
// report that has none.
func WithService(name, version, environment string) Option {
	return func(o *options) { o.service, o.version, o.env = name, version, environment }
}

// WithLogger logs failing and panicking reporters and dropped reports to l
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock reads the time from now (tests); default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// redactor holds the names to redact, canonical header names and lower-case
// query parameters.
type redactor struct {
	headers map[string]struct{}
	query   map[string]struct{}
}

func newRedactor(c Config) redactor {
	r := redactor{headers: map[string]struct{}{}, query: map[string]struct{}{}}
	for _, h := range append(append([]string(nil), DefaultRedactHeaders...), c.RedactHeaders...) {
		r.headers[http.CanonicalHeaderKey(strings.TrimSpace(h))] = struct{}{}
	}
	for _, q := range append(append([]string(nil), DefaultRedactQuery...), c.RedactQuery...) {
		r.query[strings.ToLower(strings.TrimSpace(q))] = struct{}{}
	}
	return r
}
