package dbbroker_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/contrib/broker/dbbroker"
	"github.com/goxkit/gox/contrib/database/xgorm"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/middleware/requestid"
	xhttp "github.com/goxkit/gox/transport/http"
)

// transfer is the business row the audited handler writes.
type transfer struct {
	ID      uint
	Account string
	Amount  int
}

type transferReq struct {
	Account  string `uri:"account" json:"-"`
	Amount   int    `json:"amount"`
	Fail     bool   `json:"fail"`
	Password string `json:"password"`
	PIN      string `json:"pin"`
}

type transferResp struct {
	ID uint `json:"id"`
}

// auditClock is the Auditor's clock, moved by the handler.
type auditClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *auditClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *auditClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestAuditCommitOutbox is middleware/audit's transactional record on the
// real database queue, over a gox HTTP server: the handler writes a row and
// calls audit.Commit inside an xgorm transaction, with dbbroker behind the
// audit.BrokerSink. The "ok" record is stored on the audit topic if and only
// if the row commits; a call that fails after Commit leaves neither the row
// nor the "ok" record, and its failure record is published once the call is
// over, outside the rolled-back transaction; secrets in the request never
// reach the database.
func TestAuditCommitOutbox(t *testing.T) {
	for name, cfg := range xgormtest.Drivers() {
		t.Run(name, func(t *testing.T) {
			db := open(t, xgormtest.Fresh(t, cfg(t)))
			ctx := context.Background()
			if _, err := db.Migrate(ctx, xgorm.Migrations{Models: []any{&transfer{}}}); err != nil {
				t.Fatal(err)
			}
			b, err := dbbroker.New(db, fast())
			b = goxtest.Opened(t, b, err)

			clock := &auditClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
			var logged struct {
				sync.Mutex
				recs []audit.Record
			}
			logSink := audit.SinkFunc(func(_ context.Context, r *audit.Record) error {
				logged.Lock()
				defer logged.Unlock()
				logged.recs = append(logged.recs, *r)
				return nil
			})
			c := audit.DefaultConfig()
			c.Operations = []string{"POST /accounts/:account/transfers"}
			c.ResourceFields = []string{"account"}
			c.SubjectHeader = "X-User"
			c.RecordRequest = true
			c.Redact = []string{"pin"}
			a, err := audit.New(c, audit.WithClock(clock.Now), audit.WithSink(
				logSink,
				audit.BrokerSink(broker.NewProducer(b, requestid.Client()), c.Topic),
			))
			if err != nil {
				t.Fatal(err)
			}

			hc := xhttp.DefaultConfig()
			hc.Addr = "127.0.0.1:0"
			srv, err := xhttp.NewServer(hc, xhttp.WithMiddleware(requestid.Server(), a.Middleware()))
			if err != nil {
				t.Fatal(err)
			}
			srv.POST("/accounts/:account/transfers", xhttp.JSON(func(ctx context.Context, req *transferReq) (*transferResp, error) {
				row := transfer{Account: req.Account, Amount: req.Amount}
				err := db.Transaction(ctx, func(ctx context.Context) error {
					if err := db.Conn(ctx).Create(&row).Error; err != nil {
						return err
					}
					clock.Advance(40 * time.Millisecond)
					if err := audit.Commit(ctx); err != nil {
						return err // a write that cannot be audited is not made
					}
					if req.Fail {
						return errors.Conflict("INSUFFICIENT_FUNDS", "account "+req.Account+" cannot cover the transfer")
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
				return &transferResp{ID: row.ID}, nil
			}))
			u, err := srv.Endpoint()
			if err != nil {
				t.Fatal(err)
			}
			goxtest.Serve(t, srv)

			post := func(account, reqID, body string) int {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, u.String()+"/accounts/"+account+"/transfers", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Close = true // no idle connection outlives the test (goleak)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-User", "ops-1")
				req.Header.Set(requestid.Header, reqID)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.StatusCode
			}
			count := func(model any, where ...any) int64 {
				t.Helper()
				var n int64
				q := db.Conn(ctx).Model(model)
				if len(where) > 0 {
					q = q.Where(where[0], where[1:]...)
				}
				if err := q.Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			// the audit topic holds exactly one message: its record
			consume := func() (audit.Record, *broker.Message) {
				t.Helper()
				if n := count(&dbbroker.Job{}, "topic = ?", c.Topic); n != 1 {
					t.Fatalf("%d messages on the %q topic, want 1", n, c.Topic)
				}
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				d, err := b.Receive(rctx, c.Topic, "auditors")
				if err != nil {
					t.Fatal(err)
				}
				if err := d.Ack(ctx); err != nil {
					t.Fatal(err)
				}
				var r audit.Record
				if err := json.Unmarshal(d.Message().Body, &r); err != nil {
					t.Fatalf("the audit message is not a record: %v: %s", err, d.Message().Body)
				}
				if n := count(&dbbroker.Job{}, "topic = ?", c.Topic); n != 0 {
					t.Fatalf("%d messages left on the %q topic after the record was consumed", n, c.Topic)
				}
				return r, d.Message()
			}
			logCount := func() int {
				logged.Lock()
				defer logged.Unlock()
				return len(logged.recs)
			}

			// (1) commit: the row and one "ok" record, published in the
			// transaction (latency as of Commit); the log sink gets it too
			if code := post("acc-1", "req-ok", `{"amount":5}`); code != http.StatusOK {
				t.Fatalf("committed transfer: HTTP %d", code)
			}
			if n := count(&transfer{}); n != 1 {
				t.Fatalf("%d transfers after one committed call, want 1", n)
			}
			rec, msg := consume()
			if rec.Subject != "ops-1" || rec.Operation != "POST /accounts/:account/transfers" || rec.Kind != "http" ||
				rec.Outcome != audit.OutcomeOK || rec.Code != http.StatusOK || rec.Reason != "" ||
				rec.Resources["account"] != "acc-1" || rec.RequestID != "req-ok" ||
				!rec.Time.Equal(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) || rec.Latency != 40*time.Millisecond {
				t.Fatalf("committed record %+v", rec)
			}
			if msg.Key != "ops-1" || msg.Header("content-type") != "application/json" {
				t.Fatalf("the record's message has key %q and headers %v; want the subject and application/json", msg.Key, msg.Headers)
			}
			if n := logCount(); n != 1 {
				t.Fatalf("the log sink got %d records for a committed call, want 1", n)
			}

			// (2) an error after Commit: the transaction rolls back with
			// the row and the "ok" record; the failure record is published
			// when the call is over, outside the transaction
			if code := post("acc-2", "req-fail", `{"amount":500,"fail":true}`); code != http.StatusConflict {
				t.Fatalf("refused transfer: HTTP %d, want 409", code)
			}
			if n := count(&transfer{}, "account = ?", "acc-2"); n != 0 {
				t.Fatalf("%d transfers of the rolled back call stored", n)
			}
			rec, _ = consume()
			if rec.Outcome != audit.OutcomeError || rec.Code != http.StatusConflict || rec.Reason != "INSUFFICIENT_FUNDS" ||
				rec.Resources["account"] != "acc-2" || rec.RequestID != "req-fail" || rec.Subject != "ops-1" {
				t.Fatalf("record of the call that failed after Commit: %+v; want its failure only", rec)
			}
			if n := logCount(); n != 2 {
				t.Fatalf("the log sink got %d records after two calls, want 2", n)
			}

			// (3) secrets: redacted in the committed record's request
			// snapshot, and absent from every stored message
			if code := post("acc-3", "req-secret", `{"amount":7,"password":"hunter2","pin":"8642"}`); code != http.StatusOK {
				t.Fatalf("transfer with secrets: HTTP %d", code)
			}
			var bodies []string
			if err := db.Conn(ctx).Model(&dbbroker.Job{}).Where("topic = ?", c.Topic).Pluck("body", &bodies).Error; err != nil {
				t.Fatal(err)
			}
			for _, body := range bodies {
				if strings.Contains(body, "hunter2") || strings.Contains(body, "8642") {
					t.Fatalf("a secret of the request is stored in the audit message: %s", body)
				}
			}
			rec, _ = consume()
			var snap map[string]any
			if err := json.Unmarshal(rec.Request, &snap); err != nil {
				t.Fatalf("request snapshot %s: %v", rec.Request, err)
			}
			if rec.Outcome != audit.OutcomeOK || snap["password"] != audit.Redacted || snap["pin"] != audit.Redacted ||
				snap["amount"] != float64(7) {
				t.Fatalf("record with secrets: outcome %q, request %s; want ok, password and pin %q, amount 7",
					rec.Outcome, rec.Request, audit.Redacted)
			}
			if n := count(&transfer{}); n != 2 {
				t.Fatalf("%d transfers after two committed calls, want 2", n)
			}
		})
	}
}
