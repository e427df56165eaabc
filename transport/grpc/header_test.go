package grpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/goxkit/gox/internal/transportx"
)

// gRPC metadata keeps a Key under its lower-case name: read in place from
// the caller's metadata, from the copy once the server changed it, and set
// on the reply without converting the name.
func TestHeaderKeys(t *testing.T) {
	k := transportx.NewKey("X-Request-Id")
	in := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "from-client"))
	tr := &Transport{in: in}
	h := tr.RequestHeader()
	if got := transportx.GetKey(h, k); got != "from-client" {
		t.Fatalf("GetKey on the caller's metadata: %q", got)
	}
	transportx.SetKey(h, transportx.NewKey("X-Added"), []string{"a"}) // makes the copy
	if got, orig := transportx.GetKey(h, k), metadata.ValueFromIncomingContext(in, "x-added"); got != "from-client" || orig != nil {
		t.Fatalf("after a change: GetKey %q, caller's metadata changed: %v", got, orig)
	}
	if got := transportx.GetKey(h, transportx.NewKey("x-added")); got != "a" {
		t.Fatalf("GetKey of the added key: %q", got)
	}
	if got := transportx.GetKey(h, transportx.NewKey("X-Absent")); got != "" {
		t.Fatalf("GetKey of an absent key: %q", got)
	}
	vs := []string{"id-1"}
	transportx.SetKey(tr.ReplyHeader(), k, vs)
	if got := tr.reply["x-request-id"]; len(got) != 1 || &got[0] != &vs[0] {
		t.Fatalf("SetKey on the reply: %v", tr.reply)
	}
}
