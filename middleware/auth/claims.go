package auth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims of the caller's token.
type Claims struct {
	// Subject (sub) is who the token speaks for: a user or service id.
	Subject string
	// Issuer (iss) made the token.
	Issuer string
	// Audience (aud) are the services the token is meant for.
	Audience []string
	// ExpiresAt (exp), NotBefore (nbf) and IssuedAt (iat) are zero when the
	// token has no such claim.
	ExpiresAt time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	// ID (jti) identifies the token.
	ID string
	// Raw holds every claim as encoding/json decoded it: numbers are
	// float64, arrays []any, objects map[string]any. Read custom claims
	// with Claim.
	Raw map[string]any
}

// fromMap reads the registered claims out of a verified token's map. The
// parser has checked their types already.
func fromMap(m jwt.MapClaims) *Claims {
	c := &Claims{Raw: m}
	c.Subject, _ = m.GetSubject()
	c.Issuer, _ = m.GetIssuer()
	aud, _ := m.GetAudience()
	c.Audience = aud
	c.ExpiresAt = numericTime(m.GetExpirationTime())
	c.NotBefore = numericTime(m.GetNotBefore())
	c.IssuedAt = numericTime(m.GetIssuedAt())
	c.ID, _ = m["jti"].(string)
	return c
}

func numericTime(d *jwt.NumericDate, _ error) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// Claim returns the custom claim name as a T: directly when the decoded
// value is one (string, bool, float64, []any, map[string]any), else
// converted through JSON, so Claim[[]string](c, "roles"), Claim[int64](c,
// "tenant") and Claim[MyStruct](c, "profile") work. ok is false when the
// claim is absent or is not a T.
func Claim[T any](c *Claims, name string) (v T, ok bool) {
	if c == nil {
		return v, false
	}
	raw, found := c.Raw[name]
	if !found || raw == nil {
		return v, false
	}
	if t, is := raw.(T); is {
		return t, true
	}
	b, err := json.Marshal(raw)
	if err != nil || json.Unmarshal(b, &v) != nil {
		var zero T
		return zero, false
	}
	return v, true
}

type claimsKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims the middleware verified for this call;
// ok is false on a call it did not check (a public operation).
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
