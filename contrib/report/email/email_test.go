package email

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/report"
)

// clock is a fake clock for the windows, the hourly limit and the backoff.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// noTick leaves ended windows to the test, which calls sendDue after
// moving the clock.
func noTick(o *options) { o.tick = 0 }

func testConfig(mp mailpit, to string) Config {
	cfg := DefaultConfig()
	cfg.SMTP.Addr, cfg.SMTP.TLS = mp.smtp, TLSNone
	cfg.SMTP.Timeout = 5 * time.Second
	cfg.From = "gox alerts <alerts@example.test>"
	cfg.To = []string{to}
	cfg.Window = time.Minute
	return cfg
}

func newReporter(t *testing.T, cfg Config, opts ...Option) *Reporter {
	t.Helper()
	rep, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rep.Close(context.Background()) })
	return rep
}

// failure is a report of a 500 in op, with the stack of where it was
// made: reports made on the same line, from any goroutine, are identical
// failures.
func failure(op string, code int) *report.Report {
	return &report.Report{
		Time: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC), Kind: report.KindHTTP, Operation: op,
		Code: code, Reason: "INTERNAL", Message: "database is gone", Stack: string(debug.Stack()),
		RequestID: "req-42", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Service: "users", Version: "1.2.3", Environment: "test",
		HTTP: &report.HTTP{Method: "GET", Path: "/v1/users/7", Query: "full=1",
			Header: http.Header{"Authorization": {"[redacted]"}, "User-Agent": {"curl/8"}}},
		Tags: map[string]string{"attempt": "1"},
	}
}

// fromGoroutines makes n identical failures, each on a goroutine of its
// own (different goroutine ids and argument values in the stack).
func fromGoroutines(n int, op string) []*report.Report {
	out := make([]*report.Report, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = failure(op, 500) })
	}
	wg.Wait()
	return out
}

func TestMailsAReportWithItsAttachment(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	rep := newReporter(t, testConfig(mp, to), noTick)
	r := failure("GET /v1/users/:id", 500)
	r.Panic = true
	profile := bytes.Repeat([]byte{0x1f, 0x8b, 0x08, 0x00, 0xff}, 4000)
	r.Attachments = []report.Attachment{{Name: "cpu-20310506.pprof", ContentType: "application/octet-stream", Data: profile}}
	if err := rep.Report(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	m := mp.messages(t, to, 1)[0]
	if want := "[test] users: 500 INTERNAL panic in GET /v1/users/:id"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if m.From.Address != "alerts@example.test" || m.From.Name != "gox alerts" || len(m.To) != 1 || m.To[0].Address != to {
		t.Errorf("from %+v to %+v", m.From, m.To)
	}
	for _, want := range []string{"users reported a panic", "Operation:   GET /v1/users/:id", "Code:        500 INTERNAL",
		"Message:     database is gone", "Request id:  req-42", "Trace id:    4bf92f3577b34da6a3ce929d0e0e4736",
		"GET /v1/users/7?full=1", "Authorization: [redacted]", "attempt: 1", "TestMailsAReportWithItsAttachment",
		"cpu-20310506.pprof (20000 bytes)"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
	if len(m.Attach) != 1 || m.Attach[0].FileName != "cpu-20310506.pprof" || m.Attach[0].ContentType != "application/octet-stream" {
		t.Fatalf("attachments %+v", m.Attach)
	}
	if got := mp.raw(t, "/message/"+m.ID+"/part/"+m.Attach[0].PartID); !bytes.Equal(got, profile) {
		t.Errorf("the attachment arrived as %d bytes, not the %d of the profile", len(got), len(profile))
	}
	if h := mp.headers(t, m.ID); len(h["X-Gox-Group"]) != 1 || h["X-Gox-Group"][0] != fingerprint(r) {
		t.Errorf("X-Gox-Group %v, want %s", h["X-Gox-Group"], fingerprint(r))
	}
	if s := rep.Stats(); s.Sent != 1 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestGroupsIdenticalFailuresInAWindow(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	clk := newClock()
	rep := newReporter(t, testConfig(mp, to), WithClock(clk.now), noTick)
	ctx := context.Background()

	// Five identical failures, and one of the same operation with another
	// code: two emails at once, the first of each group.
	for i, r := range append(fromGoroutines(5, "POST /v1/orders"), failure("POST /v1/orders", 503)) {
		if err := rep.Report(ctx, r); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second * time.Duration(i))
	}
	got := mp.messages(t, to, 2)
	if !strings.HasSuffix(got[0].Subject, "500 INTERNAL in POST /v1/orders") || !strings.Contains(got[1].Subject, " 503 ") {
		t.Fatalf("subjects %q, %q", got[0].Subject, got[1].Subject)
	}
	if err := rep.sendDue(ctx); err != nil { // the window has not ended: nothing more
		t.Fatal(err)
	}
	if n := mp.count(t, to); n != 2 {
		t.Fatalf("%d emails for six failures in two groups within the window, want 2", n)
	}
	if s := rep.Stats(); s.Sent != 2 || s.Folded != 4 {
		t.Fatalf("stats %+v, want 2 sent and 4 folded", s)
	}

	// The window ends: one email counts the four that were folded.
	clk.add(time.Minute)
	if err := rep.sendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got = mp.messages(t, to, 3)
	if !strings.HasSuffix(got[2].Subject, "500 INTERNAL in POST /v1/orders (x4)") {
		t.Errorf("subject of the group's count: %q", got[2].Subject)
	}
	if want := "This failure happened 4 times between 2031-05-06 07:08:09.000 UTC and 2031-05-06 07:08:15.000 UTC"; !strings.Contains(got[2].Text, want) {
		t.Errorf("body lacks %q:\n%s", want, got[2].Text)
	}

	// A window that ends quiet forgets the group: the next failure is
	// mailed at once, alone.
	clk.add(2 * time.Minute)
	if err := rep.sendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rep.Report(ctx, fromGoroutines(1, "POST /v1/orders")[0]); err != nil {
		t.Fatal(err)
	}
	got = mp.messages(t, to, 4)
	if strings.Contains(got[3].Subject, "(x") || strings.Contains(got[3].Text, "happened") {
		t.Errorf("a failure after a quiet window was mailed as a group: %q\n%s", got[3].Subject, got[3].Text)
	}
}

func TestHourlyLimitHoldsAlertsBackAndTheNextEmailCountsThem(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	clk := newClock()
	cfg := testConfig(mp, to)
	cfg.MaxPerHour = 2
	var logs goxtest.LogBuffer
	rep := newReporter(t, cfg, WithClock(clk.now), noTick, WithLogger(newLogger(&logs)))
	ctx := context.Background()

	// An outage fails ten operations: two emails, eight held back.
	for _, op := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		if err := rep.Report(ctx, failure("GET /"+op, 500)); err != nil {
			t.Fatalf("an alert held back by the limit is not an error: %v", err)
		}
		clk.add(time.Minute)
	}
	mp.messages(t, to, 2)
	if s := rep.Stats(); s.Sent != 2 || s.Limited != 8 {
		t.Fatalf("stats %+v, want 2 sent, 8 limited", s)
	}
	if n := strings.Count(logs.String(), "hourly limit reached"); n != 1 {
		t.Errorf("the limit was logged %d times, want once until the next email:\n%s", n, logs.String())
	}

	// An hour after the first email, the next one says what was held back.
	clk.add(time.Hour)
	if err := rep.Report(ctx, failure("GET /k", 500)); err != nil {
		t.Fatal(err)
	}
	got := mp.messages(t, to, 3)
	if want := "Held back since the last email: 8 alerts for 8 failures (8 over the limit of 2 emails an hour, 0 the SMTP server did not take)"; !strings.Contains(got[2].Text, want) {
		t.Errorf("body lacks %q:\n%s", want, got[2].Text)
	}
	// ...once: the email after it does not repeat it.
	if err := rep.Report(ctx, failure("GET /l", 500)); err != nil {
		t.Fatal(err)
	}
	if got := mp.messages(t, to, 4); strings.Contains(got[3].Text, "Held back") {
		t.Errorf("held-back alerts told twice:\n%s", got[3].Text)
	}
}

func TestCloseMailsThePendingCounts(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	clk := newClock()
	cfg := testConfig(mp, to)
	cfg.Window = time.Hour
	rep, err := New(cfg, WithClock(clk.now)) // with its goroutine: Close stops it
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range fromGoroutines(3, "queue orders.created") {
		if err := rep.Report(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := mp.messages(t, to, 2)
	if !strings.HasSuffix(got[1].Subject, "in queue orders.created (x2)") {
		t.Errorf("the count pending at Close was mailed as %q", got[1].Subject)
	}
}

func TestWindowZeroMailsEveryFailure(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	cfg := testConfig(mp, to)
	cfg.Window = 0
	rep := newReporter(t, cfg)
	for _, r := range fromGoroutines(3, "GET /") {
		if err := rep.Report(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	mp.messages(t, to, 3)
}

// TestConcurrentReportsCountEveryFailureOnce: reports from many goroutines,
// while ended windows are looked for and then Close flushes: the counts of
// the emails add up to the failures, none lost, none twice.
func TestConcurrentReportsCountEveryFailureOnce(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	cfg := testConfig(mp, to)
	cfg.Window = time.Hour
	rep, err := New(cfg, noTick)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := []string{"GET /a", "GET /b", "GET /c"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if err := rep.Report(ctx, failure(ops[(g+i)%len(ops)], 500)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := rep.sendDue(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := rep.Close(ctx); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range mp.messages(t, to, 6) { // the first of each group, and its count
		n := 1
		if i := strings.LastIndex(m.Subject, "(x"); i >= 0 {
			if _, err := fmt.Sscanf(m.Subject[i:], "(x%d)", &n); err != nil {
				t.Fatalf("subject %q: %v", m.Subject, err)
			}
		}
		total += n
	}
	if total != 40 {
		t.Errorf("the emails count %d failures, want the 40 reported", total)
	}
}
