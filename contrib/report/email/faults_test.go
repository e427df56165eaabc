package email

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
)

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestSMTPDownFailsFastIsCountedAndToldLater stops the server between two
// emails: the report fails at once, is counted and logged, the reports
// during the backoff fail without dialing, and once the server is back the
// next email says how many alerts were lost.
func TestSMTPDownFailsFastIsCountedAndToldLater(t *testing.T) {
	mp, stop := runMailpit(t, "", "")
	to := inbox(t)
	clk := newClock()
	var logs goxtest.LogBuffer
	rep := newReporter(t, testConfig(mp, to), WithClock(clk.now), noTick, WithLogger(newLogger(&logs)))
	ctx := context.Background()
	if err := rep.Report(ctx, failure("GET /a", 500)); err != nil {
		t.Fatal(err)
	}
	mp.messages(t, to, 1)

	stop()
	start := time.Now()
	err := rep.Report(ctx, failure("GET /b", 500))
	if err == nil || !strings.Contains(err.Error(), mp.smtp) {
		t.Fatalf("a report to a server that is down: %v, want an error naming %s", err, mp.smtp)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a refused connection held the report for %v", d)
	}
	if !strings.Contains(logs.String(), "alert not sent") || !strings.Contains(logs.String(), mp.smtp) {
		t.Errorf("the failure was not logged with the server's address:\n%s", logs.String())
	}
	// In the backoff, nothing is dialed.
	err = rep.Report(ctx, failure("GET /c", 500))
	if !errors.Is(err, ErrBackoff) {
		t.Fatalf("a report in the backoff: %v, want ErrBackoff", err)
	}
	if s := rep.Stats(); s.Failed != 2 || s.Sent != 1 {
		t.Fatalf("stats %+v, want 2 failed, 1 sent", s)
	}

	runMailpit(t, mp.smtp, strings.TrimSuffix(strings.TrimPrefix(mp.api, "http://"), "/api/v1"))
	clk.add(DefaultConfig().SMTP.Backoff)
	if err := rep.Report(ctx, failure("GET /d", 500)); err != nil {
		t.Fatal(err)
	}
	got := mp.messages(t, to, 1) // the new Mailpit's first
	if want := "Held back since the last email: 2 alerts for 2 failures (0 over the limit of 30 emails an hour, 2 the SMTP server did not take)"; !strings.Contains(got[0].Text, want) {
		t.Errorf("body lacks %q:\n%s", want, got[0].Text)
	}
}

// TestSilentServerTimesOut: a server that accepts the connection and says
// nothing holds a report for SMTPConfig.Timeout, not forever.
func TestSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	cfg := testConfig(mailpit{smtp: l.Addr().String()}, "ops@example.test")
	cfg.SMTP.Timeout = 300 * time.Millisecond
	rep := newReporter(t, cfg, noTick, WithLogger(newLogger(io.Discard)))
	start := time.Now()
	err = rep.Report(context.Background(), failure("GET /", 500))
	if err == nil {
		t.Fatal("a silent server took the email")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a silent server held the report for %v with a timeout of 300ms", d)
	}
	if rep.Stats().Failed != 1 {
		t.Errorf("stats %+v", rep.Stats())
	}
}
