package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/auth"
)

// A login service issues tokens and publishes its public key; an API
// verifies them with the keys its JWKS URL serves.
func Example() {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	login := &auth.Issuer{Algorithm: auth.EdDSA, KeyID: "2030-01", Key: key, Name: "https://login.example", Audience: []string{"orders"}}
	jwks, _ := login.PublicJWKS()
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(jwks) }))
	defer idp.Close()

	c := auth.DefaultConfig() // RS256, ES256, EdDSA; exp required; 30s of leeway
	c.JWKS.URL = idp.URL
	c.Issuers = []string{"https://login.example"}
	c.Audiences = []string{"orders"}
	c.Public.Exact = []string{"GET /ping", "POST /login"}
	a, err := auth.New(c)
	if err != nil {
		panic(err) // names the key: auth.jwks.url: ...
	}
	defer a.Close()
	// the server chain: xhttp.WithMiddleware(a.Middleware()) or
	// xgrpc.WithMiddleware(a.Middleware()); handlers call auth.FromContext

	tok, _ := login.Issue("alice", map[string]any{"roles": []string{"admin"}})
	claims, err := a.Verify(context.Background(), tok)
	if err != nil {
		panic(err)
	}
	roles, _ := auth.Claim[[]string](claims, "roles")
	fmt.Println(claims.Subject, roles)

	_, err = a.Verify(context.Background(), tok+"x")
	fmt.Println(errors.Code(err), errors.Reason(err)) // what the client gets: 401, WWW-Authenticate on HTTP
	// Output:
	// alice [admin]
	// 401 TOKEN_INVALID
}
