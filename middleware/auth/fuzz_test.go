package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/auth"
)

// FuzzVerify feeds the token verification path whatever an attacker can
// put in a bearer token: it never panics, never accepts a token it was not
// given a key for, and every refusal is a coded 401.
func FuzzVerify(f *testing.F) {
	k := keys()
	clk := newClock()
	for _, c := range []struct {
		alg, kid string
		key      any
	}{{auth.HS256, "", secret}, {auth.RS256, "rsa", k.rsa}, {auth.ES256, "ec", k.ec}, {auth.EdDSA, "ed", k.ed}} {
		tok, err := issuer(c.alg, c.kid, c.key, clk).Issue("alice", map[string]any{"roles": []string{"a"}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add(unsigned(`{"sub":"x","exp":4102444800}`))
	f.Add("e30.e30.")
	f.Add("eyJhbGciOiJIUzI1NiJ9..")
	f.Add("")
	a, err := auth.New(staticConfig(f), auth.WithClock(clk.Now))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close() })
	f.Fuzz(func(t *testing.T, tok string) {
		claims, err := a.Verify(context.Background(), tok)
		if err == nil {
			if claims == nil || claims.ExpiresAt.Before(clk.Now().Add(-time.Minute)) {
				t.Fatalf("accepted %q with claims %+v", tok, claims)
			}
			return
		}
		if errors.Code(err) != 401 {
			t.Fatalf("%q: %v; want a 401", tok, err)
		}
	})
}
