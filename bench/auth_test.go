package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// BenchmarkJWT is the JWT authentication middleware's cost per request for
// each algorithm family (HS256, RS256, ES256, EdDSA), around a no-op
// handler with an HTTP transport carrying "Authorization: Bearer <token>",
// beside the bare golang-jwt call with the same checks (jwt.NewParser with
// the accepted algorithm, leeway, iat, audience; ParseWithClaims into
// jwt.MapClaims with the key at hand). The gap is what gox adds: reading
// and cutting the header, finding the key by kid, the issuer and required
// claims checks, the Claims struct and the context value.
func BenchmarkJWT(b *testing.B) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte("a-benchmark-secret-of-32-bytes-or-more")
	pemOf := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			b.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	c := auth.DefaultConfig()
	c.Algorithms = []string{auth.HS256, auth.RS256, auth.ES256, auth.EdDSA}
	c.HMACSecret = string(secret)
	c.PublicKeys = map[string]string{"rsa": pemOf(&rsaKey.PublicKey), "ec": pemOf(&ecKey.PublicKey), "ed": pemOf(edKey.Public())}
	c.Issuers = []string{"https://idp.bench"}
	c.Audiences = []string{"api"}
	a, err := auth.New(c)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	h := a.Middleware()(noop)

	for _, alg := range []struct {
		name, kid    string
		sign, verify any
	}{
		{auth.HS256, "", secret, secret},
		{auth.RS256, "rsa", rsaKey, &rsaKey.PublicKey},
		{auth.ES256, "ec", ecKey, &ecKey.PublicKey},
		{auth.EdDSA, "ed", edKey, edKey.Public()},
	} {
		iss := &auth.Issuer{Algorithm: alg.name, KeyID: alg.kid, Key: alg.sign, Name: "https://idp.bench", Audience: []string{"api"}, TTL: time.Hour}
		tok, err := iss.Issue("alice", map[string]any{"roles": []string{"admin"}})
		if err != nil {
			b.Fatal(err)
		}
		tr := goxtest.NewTransport(transport.KindHTTP, "GET /me")
		tr.Request.Set("Authorization", "Bearer "+tok)
		ctx := transport.NewServerContext(context.Background(), tr)
		parser := jwt.NewParser(jwt.WithValidMethods([]string{alg.name}), jwt.WithLeeway(30*time.Second), jwt.WithIssuedAt(), jwt.WithAudience("api"))
		bare := func() error {
			_, err := parser.ParseWithClaims(tok, jwt.MapClaims{}, func(*jwt.Token) (any, error) { return alg.verify, nil })
			return err
		}
		if err := bare(); err != nil {
			b.Fatal(err)
		}
		if _, err := h(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.Run(alg.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bare()
			}
		})
		b.Run(alg.name+"/middleware", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h(ctx, nil)
			}
		})
		// paired: one bare call and one through the middleware per
		// iteration, each timed, so that both sides see the same noise
		// of a shared host; mw/bare is the ratio of their sums
		b.Run(alg.name+"/paired", func(b *testing.B) {
			var tb, tm time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = bare()
				t1 := time.Now()
				_, _ = h(ctx, nil)
				tm += time.Since(t1)
				tb += t1.Sub(t0)
			}
			b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/op")
			b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "mw-ns/op")
			b.ReportMetric(float64(tm)/float64(tb), "mw/bare")
		})
	}
}
