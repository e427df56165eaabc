package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/transport"
)

// Commit writes the record to the broker sinks from inside the handler
// (with the handler's context: the transaction, for the database queue);
// at the end of a successful call the broker gets no second record, the
// other sinks get theirs; a call failing after Commit adds its failure.
func TestCommit(t *testing.T) {
	clock := newClock()
	mem := broker.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"POST /transfer"}
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithSink(audit.BrokerSink(mem, c.Topic), col))
	tr := &goxtest.Transport{TKind: transport.KindHTTP, TOperation: "POST /transfer", Request: goxtest.Header{}, Reply: goxtest.Header{}}
	ctx := transport.NewServerContext(context.Background(), tr)

	run := func(fail error) {
		t.Helper()
		h := a.Middleware()(func(ctx context.Context, _ any) (any, error) {
			clock.Advance(time.Millisecond)
			if err := audit.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			return nil, fail
		})
		_, _ = h(ctx, "req")
	}
	receive := func() audit.Record {
		t.Helper()
		rctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		d, err := mem.Receive(rctx, c.Topic, "g")
		if err != nil {
			return audit.Record{}
		}
		_ = d.Ack(context.Background())
		var r audit.Record
		if err := json.Unmarshal(d.Message().Body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	run(nil)
	if r := receive(); r.Outcome != "ok" || r.Latency != time.Millisecond {
		t.Fatalf("committed record %+v", r)
	}
	if r := receive(); r.Outcome != "" {
		t.Fatalf("a second broker record for a committed call: %+v", r)
	}
	if len(col.Records()) != 1 {
		t.Fatalf("the log sink got %d records, want 1", len(col.Records()))
	}
	run(errors.New("rolled back"))
	if r := receive(); r.Outcome != "ok" {
		t.Fatalf("committed record %+v", r)
	}
	if r := receive(); r.Outcome != "error" || r.Code != 500 {
		t.Fatalf("the failure after Commit: %+v", r)
	}
	if err := audit.Commit(context.Background()); err != nil {
		t.Fatalf("Commit outside an audited call: %v", err)
	}
}
