package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
)

// idp is an identity provider's JWKS endpoint: it serves the set of the
// keys given to publish and counts the fetches.
type idp struct {
	srv  *httptest.Server
	doc  atomic.Pointer[[]byte]
	hits atomic.Int64
}

func newIDP(t *testing.T, keys ...auth.PublicKey) *idp {
	t.Helper()
	p := &idp{}
	p.publish(t, keys...)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*p.doc.Load())
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) publish(t *testing.T, keys ...auth.PublicKey) {
	t.Helper()
	doc, err := auth.PublicJWKS(keys...)
	if err != nil {
		t.Fatal(err)
	}
	p.doc.Store(&doc)
}

func jwksConfig(url string) auth.Config {
	c := auth.DefaultConfig()
	c.JWKS.URL = url
	c.Issuers = []string{"https://idp.test"}
	c.Audiences = []string{"api"}
	return c
}

func verify(a *auth.Authenticator, tok string) error {
	_, err := a.Verify(context.Background(), tok)
	return err
}

// Keys are fetched once and cached; a rotated-in key id makes one refresh,
// but no sooner than min_refresh_interval after the last, however many
// tokens with unknown key ids arrive.
func TestJWKSCachedAndRefreshedOnUnknownKid(t *testing.T) {
	k := keys()
	clk := newClock()
	p := newIDP(t, auth.PublicKey{KeyID: "k1", Key: k.rsa})
	a := newAuth(t, jwksConfig(p.srv.URL), auth.WithClock(clk.Now))
	t1 := mustIssue(t, issuer(auth.RS256, "k1", k.rsa, clk), "alice", nil)
	t2 := mustIssue(t, issuer(auth.ES256, "k2", k.ec, clk), "bob", nil)
	for range 3 {
		if err := verify(a, t1); err != nil {
			t.Fatal(err)
		}
	}
	if p.hits.Load() != 1 {
		t.Fatalf("%d fetches for three tokens of one key; want 1", p.hits.Load())
	}
	p.publish(t, auth.PublicKey{KeyID: "k1", Key: k.rsa}, auth.PublicKey{KeyID: "k2", Algorithm: auth.ES256, Key: k.ec})
	if err := verify(a, t2); errors.Reason(err) != auth.ReasonTokenInvalid || p.hits.Load() != 1 {
		t.Fatalf("k2 right after a fetch: %v after %d fetches; want TOKEN_INVALID, no fetch", err, p.hits.Load())
	}
	clk.Advance(time.Minute)
	if err := verify(a, t2); err != nil || p.hits.Load() != 2 {
		t.Fatalf("k2 a minute later: %v after %d fetches; want accepted after a second fetch", err, p.hits.Load())
	}
	for i := range 20 {
		forged := mustIssue(t, issuer(auth.RS256, "made-up-"+string(rune('a'+i)), k.rsa2, clk), "mallory", nil)
		if err := verify(a, forged); errors.Reason(err) != auth.ReasonTokenInvalid {
			t.Fatalf("made-up kid: %v", err)
		}
	}
	if p.hits.Load() != 2 {
		t.Fatalf("%d fetches after 20 made-up kids; want still 2", p.hits.Load())
	}
}

// Concurrent tokens naming a key id the cache lacks share one fetch.
func TestJWKSConcurrentMissesShareOneFetch(t *testing.T) {
	k := keys()
	clk := newClock()
	p := newIDP(t, auth.PublicKey{KeyID: "ed", Key: k.ed})
	a := newAuth(t, jwksConfig(p.srv.URL), auth.WithClock(clk.Now))
	tok := mustIssue(t, issuer(auth.EdDSA, "ed", k.ed, clk), "alice", nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if err := verify(a, tok); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p.hits.Load() != 1 {
		t.Fatalf("%d fetches for 16 concurrent calls; want 1", p.hits.Load())
	}
}

// A set older than refresh_interval is refreshed in the background while
// its keys go on answering; a key the provider dropped is then refused.
func TestJWKSStaleSetRefreshedInBackground(t *testing.T) {
	k := keys()
	clk := newClock()
	p := newIDP(t, auth.PublicKey{KeyID: "old", Key: k.rsa}, auth.PublicKey{KeyID: "new", Key: k.ec})
	a := newAuth(t, jwksConfig(p.srv.URL), auth.WithClock(clk.Now))
	if err := a.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := mustIssue(t, issuer(auth.RS256, "old", k.rsa, clk), "alice", map[string]any{"exp": clk.Now().Add(3 * time.Hour).Unix()})
	p.publish(t, auth.PublicKey{KeyID: "new", Key: k.ec}) // "old" rotated out
	clk.Advance(time.Hour)
	if err := verify(a, old); err != nil {
		t.Fatalf("a stale set still answers: %v", err)
	}
	_ = a.Refresh(context.Background()) // waits for the background fetch, or finds it done
	if p.hits.Load() != 2 {
		t.Fatalf("%d fetches; want the stale set refreshed once", p.hits.Load())
	}
	if err := verify(a, old); errors.Reason(err) != auth.ReasonTokenInvalid {
		t.Fatalf("key rotated out: %v; want TOKEN_INVALID", err)
	}
}

// With the JWKS endpoint down, calls go on being verified with the cached
// keys through a real HTTP server; the failure is logged, and retried at
// most once every min_refresh_interval, until the endpoint is back.
func TestJWKSDownCachedKeysStillUsed(t *testing.T) {
	k := keys()
	clk := newClock()
	p := newIDP(t, auth.PublicKey{KeyID: "k1", Key: k.ec})
	var logs goxtest.LogBuffer
	rt := &countingTransport{}
	a := newAuth(t, jwksConfig(p.srv.URL), auth.WithClock(clk.Now),
		auth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), auth.WithHTTPClient(&http.Client{Transport: rt}))
	if err := a.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, a)
	tok := bearer(mustIssue(t, issuer(auth.ES256, "k1", k.ec, clk), "alice", map[string]any{"exp": clk.Now().Add(24 * time.Hour).Unix()}))
	p.srv.Close() // the identity provider goes down

	clk.Advance(time.Hour) // the set is stale: this call starts a refresh, which fails
	if r := get(t, base+"/me", tok); r.status != 200 {
		t.Fatalf("endpoint down, cached key: %d %v", r.status, r.body)
	}
	goxtest.Eventually(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "failures=1") })
	if !strings.Contains(logs.String(), "JWK Set refresh failed; the cached keys stay in use") {
		t.Fatalf("log: %s", logs.String())
	}
	for range 5 { // within the limit: no new attempt
		if r := get(t, base+"/me", tok); r.status != 200 {
			t.Fatalf("endpoint down, cached key: %d %v", r.status, r.body)
		}
	}
	if rt.n.Load() != 2 {
		t.Fatalf("%d fetch attempts; want 2 (the first load, one refresh)", rt.n.Load())
	}
	if r := get(t, base+"/me", bearer(mustIssue(t, issuer(auth.ES256, "k9", k.ec, clk), "bob", nil))); r.status != 401 {
		t.Fatalf("unknown kid while down: %d %v; want 401", r.status, r.body)
	}
	clk.Advance(time.Minute) // the retry is due
	err := a.Refresh(context.Background())
	if errors.Code(err) != 503 || rt.n.Load() != 3 || !strings.Contains(logs.String(), "failures=2") {
		t.Fatalf("retry: %v after %d attempts; log %s", err, rt.n.Load(), logs.String())
	}
	if r := get(t, base+"/me", tok); r.status != 200 {
		t.Fatalf("after a failed retry: %d %v", r.status, r.body)
	}
}

// A set never loaded (the endpoint down from the start) cannot verify
// anything: the call gets 503 AUTH_KEYS_UNAVAILABLE, the service's
// problem, not 401; the next attempt waits for min_refresh_interval.
func TestJWKSNeverLoaded(t *testing.T) {
	k := keys()
	clk := newClock()
	p := newIDP(t, auth.PublicKey{KeyID: "k1", Key: k.ec})
	p.srv.Close()
	rt := &countingTransport{}
	a := newAuth(t, jwksConfig(p.srv.URL), auth.WithClock(clk.Now), auth.WithHTTPClient(&http.Client{Transport: rt}),
		auth.WithLogger(slog.New(slog.DiscardHandler)))
	if err := a.Refresh(context.Background()); errors.Code(err) != 503 || !strings.Contains(err.Error(), p.srv.URL) {
		t.Fatalf("Refresh at start: %v; want a 503 naming the URL", err)
	}
	tok := mustIssue(t, issuer(auth.ES256, "k1", k.ec, clk), "alice", nil)
	for range 3 {
		if err := verify(a, tok); errors.Code(err) != 503 || errors.Reason(err) != auth.ReasonKeysUnavailable {
			t.Fatalf("%v; want 503 AUTH_KEYS_UNAVAILABLE", err)
		}
	}
	if rt.n.Load() != 1 {
		t.Fatalf("%d attempts; want 1 within min_refresh_interval", rt.n.Load())
	}
}
