package audit_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/audit"
	xhttp "github.com/goxkit/gox/transport/http"
)

type cancelOrder struct {
	ID     string `json:"id" binding:"required"`
	UserID string `uri:"user_id" json:"-"`
	Reason string `json:"reason"`
}

type cancelled struct {
	ID string `json:"id"`
}

func cancelFn(_ context.Context, req *cancelOrder) (*cancelled, error) {
	return &cancelled{ID: req.ID}, nil
}

// serveDecoding starts a gox HTTP server whose handlers decode with gox's
// decoders and never call audit.Observe.
func serveDecoding(t *testing.T, mws ...middleware.Middleware) string {
	t.Helper()
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(mws...))
	if err != nil {
		t.Fatal(err)
	}
	s.POST("/users/:user_id/cancel", xhttp.JSON(cancelFn))
	s.POST("/cancel", xhttp.JSON(cancelFn))
	s.POST("/open/cancel", xhttp.JSON(cancelFn)) // not audited
	s.POST("/decode/cancel", func(c *xhttp.Context) error {
		var req cancelOrder
		if err := c.Decode(&req); err != nil {
			return err
		}
		c.JSON(http.StatusOK, cancelled{ID: req.ID})
		return nil
	})
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

// Routes that decode through http.JSON or Context.Decode get their
// resource ids from the JSON body without calling Observe (a struct's field
// the client left out is recorded empty); path parameters still come first;
// a request refused by validation was never decoded, and a route that is
// not audited writes nothing.
func TestHTTPDecodedRequestFromGoxDecoders(t *testing.T) {
	col := &collector{}
	c := audit.DefaultConfig()
	c.Prefixes = []string{"POST /users/", "POST /cancel", "POST /decode/"}
	c.ResourceFields = []string{"id", "user_id", "reason"}
	a := newAuditor(t, c, audit.WithClock(newClock().Now), audit.WithSink(col))
	base := serveDecoding(t, withClaims(), a.Middleware())

	tests := []struct {
		name, path, body string
		code             int
		want             map[string]string
	}{
		{"JSON", "/cancel", `{"id":"o-7","reason":"late"}`, 200, map[string]string{"id": "o-7", "reason": "late", "user_id": ""}},
		{"JSON with a path parameter", "/users/u-9/cancel", `{"id":"o-8"}`, 200, map[string]string{"id": "o-8", "user_id": "u-9", "reason": ""}},
		{"Context.Decode", "/decode/cancel", `{"id":"o-9","reason":"dup"}`, 200, map[string]string{"id": "o-9", "reason": "dup", "user_id": ""}},
		{"invalid", "/cancel", `{"reason":"no id"}`, 400, nil},
		{"malformed", "/decode/cancel", `{"id":`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col.reset()
			if code, body := call(t, "POST", base+tt.path, "alice", tt.body); code != tt.code {
				t.Fatalf("POST %s: %d %s", tt.path, code, body)
			}
			rec := col.only(t)
			if !equalMaps(rec.Resources, tt.want) || rec.Subject != "alice" {
				t.Fatalf("record of %s: subject %q resources %v, want %v", tt.path, rec.Subject, rec.Resources, tt.want)
			}
		})
	}

	col.reset()
	if code, body := call(t, "POST", base+"/open/cancel", "alice", `{"id":"o-1"}`); code != 200 || body != `{"id":"o-1"}` {
		t.Fatalf("unaudited route: %d %s", code, body)
	}
	if recs := col.Records(); len(recs) != 0 {
		t.Fatalf("unaudited route wrote %+v", recs)
	}
}

// With the audit middleware before the authentication one, the claims in
// the decoder's context name the subject, as with Observe.
func TestHTTPDecodedRequestCarriesLaterClaims(t *testing.T) {
	col := &collector{}
	c := audit.DefaultConfig()
	c.Operations = []string{"POST /cancel"}
	c.ResourceFields = []string{"id"}
	a := newAuditor(t, c, audit.WithClock(newClock().Now), audit.WithSink(col))
	base := serveDecoding(t, a.Middleware(), withClaims())

	if code, body := call(t, "POST", base+"/cancel", "bob", `{"id":"o-3"}`); code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	if rec := col.only(t); rec.Subject != "bob" || rec.Resources["id"] != "o-3" {
		t.Fatalf("record %+v", rec)
	}
}
