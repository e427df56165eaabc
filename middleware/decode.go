package middleware

import "context"

// DecodeHook is told the decoded request of a call whose chain ran before
// the request was decoded: on HTTP the chain sees the *http.Request, and the
// handler decodes the body afterwards. ctx is the context the decoder was
// given, which carries what the chain added (claims, request id). A hook
// runs on the request's goroutine, before the handler's own code sees req;
// it must not modify req nor keep ctx beyond the call.
type DecodeHook func(ctx context.Context, req any)

type decodeHookKey struct{}

// NewDecodeHookContext returns ctx carrying h, which Decoded calls. A
// middleware that needs the decoded request (the audit middleware reads
// resource ids from it) puts its hook in the context it passes on; hooks
// already in ctx keep running, before h.
func NewDecodeHookContext(ctx context.Context, h DecodeHook) context.Context {
	if h == nil {
		return ctx
	}
	if prev, ok := ctx.Value(decodeHookKey{}).(DecodeHook); ok {
		inner := h
		h = func(ctx context.Context, req any) {
			prev(ctx, req)
			inner(ctx, req)
		}
	}
	return context.WithValue(ctx, decodeHookKey{}, h)
}

// Decoded hands req, the request a decoder just made whole, to the hooks in
// ctx. gox's decoders call it once the request is decoded and valid: the
// typed HTTP handlers (transport/http's JSON and Context.Decode) and the
// routes gctl generates from google.api.http rules (transport/http/httprule).
// A handler that decodes the request some other way calls it itself. With
// no hook in ctx it does nothing and allocates nothing.
func Decoded(ctx context.Context, req any) {
	if h, ok := ctx.Value(decodeHookKey{}).(DecodeHook); ok && req != nil {
		h(ctx, req)
	}
}
