package middleware

import (
	"context"
	"regexp"
	"strings"

	"github.com/goxkit/gox/transport"
)

// Matcher decides from an operation name whether a middleware applies.
type Matcher func(operation string) bool

// Exact matches the listed operations ("GET /users/:id", "/user.v1.User/Get").
func Exact(ops ...string) Matcher {
	set := make(map[string]struct{}, len(ops))
	for _, op := range ops {
		set[op] = struct{}{}
	}
	return func(op string) bool { _, ok := set[op]; return ok }
}

// Prefix matches operations that start with any of the prefixes
// ("/user.v1.User/" for a whole gRPC service, "GET /admin/" for a route group).
func Prefix(prefixes ...string) Matcher {
	return func(op string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(op, p) {
				return true
			}
		}
		return false
	}
}

// Regex matches operations against a regular expression. It panics on an
// invalid expression, like regexp.MustCompile: the pattern is program text.
func Regex(expr string) Matcher {
	re := regexp.MustCompile(expr)
	return re.MatchString
}

// Not inverts a matcher.
func Not(m Matcher) Matcher { return func(op string) bool { return !m(op) } }

// Select applies m only to operations that match. The operation is read from
// the server Transporter in ctx, or the client one for client chains; a call
// with neither is passed straight to the next handler.
func Select(match Matcher, m ...Middleware) Middleware {
	chain := Chain(m...)
	return func(next Handler) Handler {
		selected := chain(next)
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				tr, ok = transport.FromClientContext(ctx)
			}
			if ok && match(tr.Operation()) {
				return selected(ctx, req)
			}
			return next(ctx, req)
		}
	}
}
