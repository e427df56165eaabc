package audit_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/audit"
	"github.com/goxkit/gox/middleware/auth"
	xhttp "github.com/goxkit/gox/transport/http"
)

// With gox's JWT middleware in front, the subject is the verified token's
// claim; a call whose token is refused never reaches the audit.
func TestSubjectFromVerifiedJWT(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	ac := auth.DefaultConfig()
	ac.Algorithms = []string{auth.HS256}
	ac.HMACSecret = string(secret)
	authn, err := auth.New(ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = authn.Close() })
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"DELETE /users/:id"}
	c.ResourceFields = []string{"id"}
	a := newAuditor(t, c, audit.WithSink(col))

	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(authn.Middleware(), a.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	s.DELETE("/users/:id", func(c *xhttp.Context) error { c.Status(http.StatusNoContent); return nil })
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)

	tok, err := auth.Sign(auth.HS256, "", secret, map[string]any{"sub": "dave", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	del := func(token string) int {
		req, _ := http.NewRequest("DELETE", u.String()+"/users/9", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := del(tok); code != http.StatusNoContent {
		t.Fatalf("DELETE with a valid token: %d", code)
	}
	if rec := col.only(t); rec.Subject != "dave" || rec.Code != 204 || rec.Resources["id"] != "9" {
		t.Fatalf("record %+v", rec)
	}
	if code := del(tok + "x"); code != http.StatusUnauthorized {
		t.Fatalf("DELETE with a bad token: %d", code)
	}
	col.only(t) // still the one record
}

// A queue consumer's messages are audited too: kind queue, the topic as
// operation, resource ids from the JSON body.
func TestQueueConsumerRecords(t *testing.T) {
	mem := broker.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"orders"}
	c.ResourceFields = []string{"order_id"}
	c.RecordRequest = true
	a := newAuditor(t, c, audit.WithSink(col))
	handled := make(chan struct{}, 1)
	cons, err := broker.NewConsumer(mem, "orders", func(context.Context, *broker.Message) error {
		handled <- struct{}{}
		return nil
	}, broker.ConsumerOptions{Group: "billing", Middleware: []middleware.Middleware{a.Middleware()}})
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, cons)
	if err := mem.Publish(context.Background(), "orders", &broker.Message{Body: []byte(`{"order_id":"o-1","token":"t"}`)}); err != nil {
		t.Fatal(err)
	}
	<-handled
	goxtest.Eventually(t, 5*time.Second, func() bool { return len(col.Records()) == 1 })
	rec := col.only(t)
	if rec.Kind != "queue" || rec.Operation != "orders" || rec.Resources["order_id"] != "o-1" ||
		string(rec.Request) != `{"order_id":"o-1","token":"[redacted]"}` || rec.Outcome != "ok" {
		t.Fatalf("record %+v request %s", rec, rec.Request)
	}
}

// With the audit before the authentication in the chain, the claims come
// from the context the handler passes to Observe.
func TestSubjectFromObserveWhenAuditIsOuter(t *testing.T) {
	clock := newClock()
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"POST /orders"}
	a := newAuditor(t, c, audit.WithClock(clock.Now), audit.WithSink(col))
	base := serveHTTP(t, clock, a.Middleware(), withClaims())
	if code, _ := call(t, "POST", base+"/orders", "erin", `{"item":"pen"}`); code != 200 {
		t.Fatalf("POST: %d", code)
	}
	if rec := col.only(t); rec.Subject != "erin" {
		t.Fatalf("subject %q, want erin", rec.Subject)
	}
}
