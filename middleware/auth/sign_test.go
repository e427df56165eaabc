package auth_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goxkit/gox/middleware/auth"
)

// Sign refuses what would make a token no verifier should accept.
func TestSignRefusesMismatchedKeys(t *testing.T) {
	k := keys()
	for _, c := range []struct {
		alg  string
		key  any
		want string
	}{
		{"none", nil, `algorithm "none" is not one gox signs`},
		{auth.HS256, []byte("short"), "an HMAC secret of 5 bytes cannot sign HS256"},
		{auth.HS256, k.rsa, "RSA public key of 2048 bits cannot sign HS256"},
		{auth.RS256, k.rsa.Public(), "an RSA public key of 2048 bits cannot sign RS256"},
		{auth.ES256, k.ec384, "P-384 cannot sign ES256"},
		{auth.EdDSA, k.ec, "cannot sign EdDSA"},
	} {
		if _, err := auth.Sign(c.alg, "", c.key, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.alg, err, c.want)
		}
	}
}

// Issue writes the registered claims a verifier checks; golang-jwt's own
// parser reads them back.
func TestIssuerClaims(t *testing.T) {
	k := keys()
	clk := newClock()
	i := issuer(auth.ES384, "k", k.ec384, clk)
	i.Audience = []string{"api", "web"}
	tok := mustIssue(t, i, "alice", map[string]any{"tenant": 7, "nbf": nil})
	m := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithTimeFunc(clk.Now)).ParseWithClaims(tok, m, func(*jwt.Token) (any, error) { return k.ec384.Public(), nil })
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := m.GetExpirationTime()
	aud, _ := m.GetAudience()
	if parsed.Header["kid"] != "k" || m["sub"] != "alice" || m["iss"] != "https://idp.test" || len(aud) != 2 ||
		!exp.Equal(clk.Now().Add(i.TTL)) || m["tenant"] != float64(7) || m["nbf"] != nil || len(m["jti"].(string)) != 32 {
		t.Fatalf("header %v claims %v", parsed.Header, m)
	}
}

// The JWK Set an Issuer publishes verifies its tokens, for each key type,
// and carries no private member.
func TestPublicJWKSRoundTrip(t *testing.T) {
	k := keys()
	clk := newClock()
	for _, c := range []struct {
		alg string
		key any
	}{{auth.RS256, k.rsa}, {auth.PS256, k.rsa}, {auth.ES256, k.ec}, {auth.ES384, k.ec384}, {auth.EdDSA, k.ed}} {
		i := issuer(c.alg, "kid-"+c.alg, c.key, clk)
		doc, err := i.PublicJWKS()
		if err != nil {
			t.Fatal(err)
		}
		var set struct{ Keys []map[string]any }
		if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["d"] != nil || set.Keys[0]["alg"] != c.alg {
			t.Fatalf("%s: %s", c.alg, doc)
		}
		p := newIDP(t)
		p.doc.Store(&doc)
		cfg := jwksConfig(p.srv.URL)
		cfg.Algorithms = []string{c.alg}
		a := newAuth(t, cfg, auth.WithClock(clk.Now))
		claims, err := a.Verify(context.Background(), mustIssue(t, i, "alice", nil))
		if err != nil || claims.Subject != "alice" {
			t.Fatalf("%s: %v %v", c.alg, claims, err)
		}
	}
	if _, err := (&auth.Issuer{Algorithm: auth.HS256, Key: secret}).PublicJWKS(); err == nil {
		t.Fatal("an HMAC secret was published")
	}
	if _, err := auth.PublicJWKS(auth.PublicKey{KeyID: "a", Key: k.ed}, auth.PublicKey{KeyID: "a", Key: k.ec}); err == nil {
		t.Fatal("two keys with one kid")
	}
}
