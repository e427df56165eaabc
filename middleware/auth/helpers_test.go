package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
)

func TestMain(m *testing.M) { goxtest.VerifyNoLeaks(m) }

// keys made once: RSA generation is slow under -race.
var keys = sync.OnceValue(func() (k struct {
	rsa   *rsa.PrivateKey
	rsa2  *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	ec384 *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

var secret = []byte("a-test-secret-of-at-least-32-bytes!!")

// pemOf is the PKIX PEM text of key's public half.
func pemOf(t testing.TB, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// clock is a fake clock the tests move.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// staticConfig accepts every family, with a key of each under kids rsa,
// ec, ed and the test secret; iss "https://idp.test", aud "api".
func staticConfig(t testing.TB) auth.Config {
	k := keys()
	c := auth.DefaultConfig()
	c.Algorithms = []string{auth.HS256, auth.RS256, auth.PS256, auth.ES256, auth.EdDSA}
	c.HMACSecret = string(secret)
	c.PublicKeys = map[string]string{"rsa": pemOf(t, k.rsa), "ec": pemOf(t, k.ec), "ed": pemOf(t, k.ed)}
	c.Issuers = []string{"https://idp.test"}
	c.Audiences = []string{"api"}
	c.Realm = "api"
	return c
}

func newAuth(t testing.TB, c auth.Config, opts ...auth.Option) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// issuer signs like the test identity provider.
func issuer(alg, kid string, key any, clk *clock) *auth.Issuer {
	return &auth.Issuer{Algorithm: alg, KeyID: kid, Key: key, Name: "https://idp.test", Audience: []string{"api"}, TTL: time.Hour, Now: clk.Now}
}

func mustIssue(t testing.TB, i *auth.Issuer, sub string, claims map[string]any) string {
	t.Helper()
	tok, err := i.Issue(sub, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// countingTransport counts the requests made through it: the JWKS fetches.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func bearer(tok string) string { return "Bearer " + tok }

// unsigned is a token with alg none, as an attacker writes it.
func unsigned(claims string) string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return enc(`{"alg":"none","typ":"JWT"}`) + "." + enc(claims) + "."
}
