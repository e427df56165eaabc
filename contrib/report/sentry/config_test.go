package sentry_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/contrib/report/sentry"
)

// secret stands for a project's public key: never repeated in an error.
const secret = "0123456789abcdef0123456789abcdef"

func TestNewRefusesBadConfigNamingTheKey(t *testing.T) {
	good := sentry.DefaultConfig()
	good.DSN = "https://" + secret + "@o1.ingest.sentry.io/42"
	for _, tc := range []struct {
		name string
		edit func(*sentry.Config)
		key  string
	}{
		{"no dsn", func(c *sentry.Config) { c.DSN = "" }, "sentry.dsn"},
		{"not a URL", func(c *sentry.Config) { c.DSN = "https://" + secret + "@o1.ingest.sentry.io:bad port/42" }, "sentry.dsn"},
		{"control character", func(c *sentry.Config) { c.DSN = "https://" + secret + "@host/4\x7f2" }, "sentry.dsn"},
		{"scheme", func(c *sentry.Config) { c.DSN = "ftp://" + secret + "@o1.ingest.sentry.io/42" }, "sentry.dsn"},
		{"no scheme", func(c *sentry.Config) { c.DSN = secret + "@o1.ingest.sentry.io/42" }, "sentry.dsn"},
		{"no key", func(c *sentry.Config) { c.DSN = "https://o1.ingest.sentry.io/42" }, "sentry.dsn"},
		{"no host", func(c *sentry.Config) { c.DSN = "https://" + secret + "@/42" }, "sentry.dsn"},
		{"no project", func(c *sentry.Config) { c.DSN = "https://" + secret + "@o1.ingest.sentry.io/" }, "sentry.dsn"},
		{"port", func(c *sentry.Config) { c.DSN = "https://" + secret + "@o1.ingest.sentry.io:99999/42" }, "sentry.dsn"},
		{"sample rate above 1", func(c *sentry.Config) { c.SampleRate = 1.5 }, "sentry.sample_rate"},
		{"sample rate NaN", func(c *sentry.Config) { c.SampleRate = math.NaN() }, "sentry.sample_rate"},
		{"breadcrumbs", func(c *sentry.Config) { c.MaxBreadcrumbs = 101 }, "sentry.max_breadcrumbs"},
		{"timeout", func(c *sentry.Config) { c.Timeout = 0 }, "sentry.timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			rep, err := sentry.New(c)
			if err == nil {
				_ = rep.Close(context.Background())
				t.Fatalf("New accepted %+v", c)
			}
			if !strings.HasPrefix(err.Error(), tc.key+" ") {
				t.Errorf("error %q does not start with the key %s", err, tc.key)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q repeats the DSN's key", err)
			}
		})
	}
	rep, err := sentry.New(good)
	if err != nil {
		t.Fatalf("New refused a good config: %v", err)
	}
	_ = rep.Close(context.Background())
}

// FuzzNew feeds New any DSN: it never panics, a refusal names sentry.dsn,
// and a DSN it takes is one sentry-go takes.
func FuzzNew(f *testing.F) {
	for _, s := range []string{
		"https://" + secret + "@o1.ingest.sentry.io/42", "http://k@127.0.0.1:9000/sentry/1", "https://k:pw@h/1",
		"", "https://", "https://@h/1", "https://k@h", "https://k@h/", "https://k@h:x/1", "https://k@[::1/1",
		"k@h/1", "://", "https://k@h:65536/1", "https://k@h/%zz", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		c := sentry.DefaultConfig()
		c.DSN, c.Timeout = dsn, time.Second
		rep, err := sentry.New(c)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sentry.dsn ") {
				t.Fatalf("New(%q): %q does not name sentry.dsn", dsn, err)
			}
			return
		}
		defer func() { _ = rep.Close(context.Background()) }()
		if _, err := sentrygo.NewDsn(dsn); err != nil {
			t.Fatalf("New took %q, which sentry-go refuses: %v", dsn, err)
		}
	})
}
