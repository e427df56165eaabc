package requestid_test

import (
	"context"
	"strings"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/requestid"
	"github.com/goxkit/gox/transport"
)

func TestServerKeepsCallerIDOrMakesOne(t *testing.T) {
	for _, incoming := range []string{"abc-123", ""} {
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /ping")
		if incoming != "" {
			tr.Request.Set(requestid.Header, incoming)
		}
		var seen string
		var logged bool
		h := requestid.Server()(func(ctx context.Context, _ any) (any, error) {
			seen = requestid.FromContext(ctx)
			for _, a := range log.Attrs(ctx) {
				logged = logged || (a.Key == "request_id" && a.Value.String() == seen)
			}
			return nil, nil
		})
		_, _ = h(goxtest.ServerContext(context.Background(), tr), nil)
		if incoming != "" && seen != incoming {
			t.Fatalf("id %q, want caller's %q", seen, incoming)
		}
		if len(seen) == 0 || tr.Reply.Get(requestid.Header) != seen || !logged {
			t.Fatalf("id %q reply header %q logged %v", seen, tr.Reply.Get(requestid.Header), logged)
		}
	}
	if a, b := requestid.New(), requestid.New(); a == b || len(a) != 32 {
		t.Fatal("ids are not unique 32-char hex")
	}
}

func TestClientForwardsID(t *testing.T) {
	client := goxtest.NewTransport(transport.KindGRPC, "/x.Y/Z")
	ctx := transport.NewClientContext(requestid.NewContext(context.Background(), "r-9"), client)
	_, _ = middleware.Chain(requestid.Client())(func(context.Context, any) (any, error) { return nil, nil })(ctx, nil)
	if got := client.Request.Get(requestid.Header); got != "r-9" {
		t.Fatalf("forwarded %q", got)
	}
}

func TestNewIsUnique32Hex(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := requestid.New()
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" || seen[id] {
			t.Fatalf("id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

// Each request gets its own id: the id lives in the request's context node,
// which is never shared.
func TestServerIDsDiffer(t *testing.T) {
	ids := map[string]bool{}
	h := requestid.Server()(func(ctx context.Context, _ any) (any, error) {
		ids[requestid.FromContext(ctx)] = true
		return nil, nil
	})
	trs := make([]*goxtest.Transport, 100)
	for i := range trs {
		trs[i] = goxtest.NewTransport(transport.KindHTTP, "GET /ping")
		_, _ = h(goxtest.ServerContext(context.Background(), trs[i]), nil)
	}
	for _, tr := range trs {
		if id := tr.Reply.Get(requestid.Header); !ids[id] || len(id) != 32 {
			t.Fatalf("reply id %q not one the handler saw", id)
		}
	}
	if len(ids) != len(trs) {
		t.Fatalf("%d distinct ids for %d requests", len(ids), len(trs))
	}
}
