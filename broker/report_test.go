package broker_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// A job that dead-letters is reported once, not at every retry; a job
// that panics is reported at each panic, with the panic site.
func TestDeadLettersAndPanicsAreReported(t *testing.T) {
	b := broker.NewMemory()
	defer b.Close()
	reports := make(chan *report.Report, 10)
	d, err := report.NewDispatcher(report.WithReporter(report.ReporterFunc(func(_ context.Context, r *report.Report) error {
		reports <- r
		return nil
	})), report.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	handler := func(_ context.Context, m *broker.Message) error {
		if string(m.Body) == "panic" {
			panicsInJob()
		}
		return errors.New("payment provider refused")
	}
	c, err := broker.NewConsumer(b, "payments", handler, broker.ConsumerOptions{Group: "billing", Retry: 2, Logger: quiet,
		Middleware: []middleware.Middleware{recovery.Recovery(quiet)}, Reporter: d})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	go func() { _ = c.Start(ctx) }()
	for _, body := range []string{"fail", "panic"} {
		if err := b.Publish(ctx, "payments", &broker.Message{ID: body + "-1", Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []*report.Report
	for range 4 { // the failure's dead letter; the panic at each of its 3 attempts
		select {
		case r := <-reports:
			got = append(got, r)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d reports; want 4", len(got))
		}
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 0 {
		t.Fatalf("more reports than dead letters and panics: %+v", <-reports)
	}
	panics, panicDead := 0, 0
	for _, r := range got {
		if r.Kind != report.KindQueue || r.Operation != "payments" || r.Tags["group"] != "billing" {
			t.Errorf("report %+v", r)
		}
		switch r.Tags["message_id"] {
		case "fail-1":
			if r.Panic || r.Tags["outcome"] != "dead_letter" || r.Tags["attempt"] != "3" || r.Message != "payment provider refused" {
				t.Errorf("dead letter report %+v", r)
			}
		case "panic-1":
			panics++
			if r.Tags["outcome"] == "dead_letter" {
				panicDead++
			}
			if !r.Panic || !strings.Contains(r.Stack, "broker_test.panicsInJob") {
				t.Errorf("panic report %+v", r)
			}
		}
	}
	if panics != 3 || panicDead != 1 {
		t.Errorf("%d panic reports, %d of them dead letters; want 3, the last one", panics, panicDead)
	}
}

func panicsInJob() { panic("nil invoice") }
