// Package requestid gives every request an id: the caller's X-Request-ID when
// it sent one, a new random id otherwise. The id is echoed in the reply header,
// stored in the context, added to every log record made with that context, and
// sent on with outgoing calls by the Client middleware.
package requestid

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"unsafe"

	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/log"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Header is the header that carries the id.
const Header = "X-Request-Id"

// key is Header prepared for the transports' header maps.
var key = transportx.NewKey(Header)

// attrKey is the log attribute, and the only place the id is stored.
const attrKey = "request_id"

// maxLen bounds an id accepted from a caller, so a client cannot bloat every log line.
const maxLen = 128

// FromContext returns the request id of ctx, or "".
func FromContext(ctx context.Context) string {
	attrs := log.Attrs(ctx)
	for i := len(attrs) - 1; i >= 0; i-- {
		if attrs[i].Key == attrKey {
			return attrs[i].Value.String()
		}
	}
	return ""
}

// NewContext returns ctx carrying id as the request_id log attribute, so every
// record logged with ctx names the request.
func NewContext(ctx context.Context, id string) context.Context {
	return log.WithAttrs(ctx, slog.String(attrKey, id))
}

// Server assigns the request id on the server side.
func Server() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			// One allocation holds the context node, the id and the reply
			// header's value.
			n := &node{}
			id := transportx.GetKey(tr.RequestHeader(), key)
			if id == "" || len(id) > maxLen {
				fill(&n.id)
				id = unsafe.String(&n.id[0], len(n.id)) // n.id is never written again
			}
			n.hv[0] = id
			transportx.SetKey(tr.ReplyHeader(), key, n.hv[:])
			n.Init(ctx, slog.String(attrKey, id))
			return next(n, req)
		}
	}
}

// Client sends the request id of ctx with outgoing calls.
func Client() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if tr, ok := transport.FromClientContext(ctx); ok {
				if id := FromContext(ctx); id != "" {
					transportx.SetKey(tr.RequestHeader(), key, []string{id})
				}
			}
			return next(ctx, req)
		}
	}
}

// New returns a random 128-bit id as 32 hex characters. It is unique, not
// secret: math/rand/v2's generator is seeded from the OS and fast.
func New() string {
	var b [32]byte
	fill(&b)
	return string(b[:])
}

// fill writes a random 128-bit id into b as hex.
func fill(b *[32]byte) {
	a, c := rand.Uint64(), rand.Uint64()
	binary.LittleEndian.PutUint64(b[0:], hex8(uint32(a)))
	binary.LittleEndian.PutUint64(b[8:], hex8(uint32(a>>32)))
	binary.LittleEndian.PutUint64(b[16:], hex8(uint32(c)))
	binary.LittleEndian.PutUint64(b[24:], hex8(uint32(c>>32)))
}

// hex8 returns the 8 hex digits of v's nibbles, lowest nibble in the lowest
// byte, computed in one register instead of eight table lookups. The order
// differs from encoding/hex's, which does not matter for a random id.
func hex8(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f // one nibble per byte
	// Bytes of 10 and more carry into bit 4 when 6 is added: they take
	// 'a'-10 instead of '0'.
	letters := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-10-'0')
}

// node is the request's context node with the id's bytes and the reply
// header's value slice, so that neither costs an allocation of its own.
type node struct {
	log.Node
	id [32]byte
	hv [1]string
}
