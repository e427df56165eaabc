package grpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/goxkit/gox/transport"
)

// gRPC metadata keeps a Key under its lower-case name: read in place from
// the caller's metadata, from the copy once the server changed it, and set
// on the reply without converting the name.
func TestHeaderKeys(t *testing.T) {
	k := transport.NewKey("X-Request-Id")
	in := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "from-client"))
	tr := &Transport{in: in}
	h := tr.RequestHeader()
	if got := transport.GetKey(h, k); got != "from-client" {
		t.Fatalf("GetKey on the caller's metadata: %q", got)
	}
	transport.SetKey(h, transport.NewKey("X-Added"), []string{"a"}) // makes the copy
	if got, orig := transport.GetKey(h, k), metadata.ValueFromIncomingContext(in, "x-added"); got != "from-client" || orig != nil {
		t.Fatalf("after a change: GetKey %q, caller's metadata changed: %v", got, orig)
	}
	if got := transport.GetKey(h, transport.NewKey("x-added")); got != "a" {
		t.Fatalf("GetKey of the added key: %q", got)
	}
	if got := transport.GetKey(h, transport.NewKey("X-Absent")); got != "" {
		t.Fatalf("GetKey of an absent key: %q", got)
	}
	vs := []string{"id-1"}
	transport.SetKey(tr.ReplyHeader(), k, vs)
	if got := tr.reply["x-request-id"]; len(got) != 1 || &got[0] != &vs[0] {
		t.Fatalf("SetKey on the reply: %v", tr.reply)
	}
}
