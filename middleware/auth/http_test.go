package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/auth"
	xhttp "github.com/goxkit/gox/transport/http"
)

// serveHTTP starts a gox HTTP server behind a's middleware: GET /me answers
// the caller's subject and roles from the verified claims; GET /open/info
// is public when the config makes the "GET /open/" prefix public.
func serveHTTP(t *testing.T, a *auth.Authenticator) string {
	t.Helper()
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(hc, xhttp.WithMiddleware(a.Middleware()))
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/me", func(c *xhttp.Context) error {
		claims, ok := auth.FromContext(c.Request.Context())
		if !ok {
			t.Error("/me ran without claims")
		}
		roles, _ := auth.Claim[[]string](claims, "roles")
		c.JSON(200, map[string]any{"sub": claims.Subject, "roles": roles})
		return nil
	})
	s.GET("/open/info", func(c *xhttp.Context) error {
		_, ok := auth.FromContext(c.Request.Context())
		c.JSON(200, map[string]any{"public": true, "claims": ok})
		return nil
	})
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

type reply struct {
	status    int
	challenge string
	body      map[string]any
}

func get(t *testing.T, url, authorization string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("%s: body %q is not JSON", url, b)
	}
	return r
}

// Every signature family is accepted with its key, and the handler reads
// the verified claims.
func TestHTTPAcceptsEachAlgorithm(t *testing.T) {
	k := keys()
	clk := newClock()
	base := serveHTTP(t, newAuth(t, staticConfig(t), auth.WithClock(clk.Now)))
	for _, c := range []struct {
		alg, kid string
		key      any
	}{
		{auth.HS256, "", secret},
		{auth.RS256, "rsa", k.rsa},
		{auth.PS256, "rsa", k.rsa},
		{auth.ES256, "ec", k.ec},
		{auth.EdDSA, "ed", k.ed},
		{auth.ES256, "", k.ec}, // no kid: the one key of the type verifies
	} {
		tok := mustIssue(t, issuer(c.alg, c.kid, c.key, clk), "alice", map[string]any{"roles": []string{"admin", "dev"}})
		r := get(t, base+"/me", bearer(tok))
		if r.status != 200 || r.body["sub"] != "alice" || len(r.body["roles"].([]any)) != 2 {
			t.Errorf("%s kid %q: %d %v", c.alg, c.kid, r.status, r.body)
		}
	}
}

// Each bad token is refused with 401, the envelope's reason and an RFC 6750
// challenge, and never reaches the handler.
func TestHTTPRefusals(t *testing.T) {
	k := keys()
	clk := newClock()
	c := staticConfig(t)
	c.Algorithms = []string{auth.RS256, auth.ES256, auth.HS256}
	delete(c.PublicKeys, "ed")
	base := serveHTTP(t, newAuth(t, c, auth.WithClock(clk.Now)))
	rs := issuer(auth.RS256, "rsa", k.rsa, clk)
	now := clk.Now()

	// the classic confusion: the RSA public key (public knowledge) used as
	// the HMAC secret of an HS256 token naming the RSA key's kid
	confused, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "mallory", "iss": "https://idp.test", "aud": "api", "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(pemOf(t, k.rsa)))
	if err != nil {
		t.Fatal(err)
	}
	otherRSA := mustIssue(t, issuer(auth.RS256, "rsa", k.rsa2, clk), "mallory", nil) // right kid, wrong key
	for _, c := range []struct {
		name, header, reason, message string
	}{
		{"no header", "", auth.ReasonUnauthenticated, "no Bearer token in Authorization"},
		{"another scheme", "Basic YWxpY2U6cHc=", auth.ReasonUnauthenticated, "no Bearer token"},
		{"empty bearer", "Bearer ", auth.ReasonUnauthenticated, "no Bearer token"},
		{"expired", bearer(mustIssue(t, rs, "alice", map[string]any{"exp": now.Add(-31 * time.Second).Unix()})), auth.ReasonTokenExpired, "token expired"},
		{"not yet valid", bearer(mustIssue(t, rs, "alice", map[string]any{"nbf": now.Add(time.Minute).Unix()})), auth.ReasonTokenInvalid, "not valid yet"},
		{"issued in the future", bearer(mustIssue(t, rs, "alice", map[string]any{"iat": now.Add(time.Minute).Unix()})), auth.ReasonTokenInvalid, "issued in the future"},
		{"wrong audience", bearer(mustIssue(t, rs, "alice", map[string]any{"aud": "billing"})), auth.ReasonTokenInvalid, "audience not accepted"},
		{"no audience", bearer(mustIssue(t, rs, "alice", map[string]any{"aud": nil})), auth.ReasonTokenInvalid, "lacks the aud claim"},
		{"wrong issuer", bearer(mustIssue(t, rs, "alice", map[string]any{"iss": "https://evil.test"})), auth.ReasonTokenInvalid, "issuer not accepted"},
		{"no exp", bearer(mustIssue(t, rs, "alice", map[string]any{"exp": nil})), auth.ReasonTokenInvalid, "lacks the exp claim"},
		{"alg none", bearer(unsigned(`{"sub":"mallory","iss":"https://idp.test","aud":"api","exp":4102444800}`)), auth.ReasonTokenInvalid, "token invalid"},
		{"HS256 with the RSA public key as secret", bearer(confused), auth.ReasonTokenInvalid, "token invalid"},
		{"algorithm not accepted", bearer(mustIssue(t, issuer(auth.EdDSA, "ed", k.ed, clk), "alice", nil)), auth.ReasonTokenInvalid, "token invalid"},
		{"signed by another key", bearer(otherRSA), auth.ReasonTokenInvalid, "token invalid"},
		{"unknown kid", bearer(mustIssue(t, issuer(auth.RS256, "nope", k.rsa, clk), "alice", nil)), auth.ReasonTokenInvalid, "token invalid"},
		{"kid of another key type", bearer(mustIssue(t, issuer(auth.ES256, "rsa", k.ec, clk), "alice", nil)), auth.ReasonTokenInvalid, "token invalid"},
		{"malformed: two parts", "Bearer abc.def", auth.ReasonTokenInvalid, "token invalid"},
		{"malformed: not base64", "Bearer !!!.???.***", auth.ReasonTokenInvalid, "token invalid"},
		{"malformed: not JSON", "Bearer " + strings.Repeat("QUJD", 3) + ".e30.c2ln", auth.ReasonTokenInvalid, "token invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, base+"/me", c.header)
			if r.status != 401 || r.body["reason"] != c.reason || !strings.Contains(r.body["message"].(string), c.message) {
				t.Fatalf("%d %v; want 401 %s %q", r.status, r.body, c.reason, c.message)
			}
			want := `Bearer realm="api"`
			if c.reason != auth.ReasonUnauthenticated {
				want += `, error="invalid_token", error_description="` + r.body["message"].(string) + `"`
			}
			if r.challenge != want {
				t.Fatalf("WWW-Authenticate %q, want %q", r.challenge, want)
			}
		})
	}
}

// exp and nbf are checked on the Authenticator's clock, with the leeway.
func TestHTTPLeewayOnTheClock(t *testing.T) {
	k := keys()
	clk := newClock()
	c := staticConfig(t)
	c.Leeway = 30 * time.Second
	base := serveHTTP(t, newAuth(t, c, auth.WithClock(clk.Now)))
	tok := mustIssue(t, issuer(auth.ES256, "ec", k.ec, clk), "alice", nil) // valid for an hour
	early := mustIssue(t, issuer(auth.ES256, "ec", k.ec, clk), "alice", map[string]any{"nbf": clk.Now().Add(20 * time.Second).Unix()})
	if r := get(t, base+"/me", bearer(early)); r.status != 200 {
		t.Fatalf("nbf 20s ahead within 30s of leeway: %d %v", r.status, r.body)
	}
	clk.Advance(time.Hour + 29*time.Second)
	if r := get(t, base+"/me", bearer(tok)); r.status != 200 {
		t.Fatalf("29s past exp within 30s of leeway: %d %v", r.status, r.body)
	}
	clk.Advance(2 * time.Second)
	if r := get(t, base+"/me", bearer(tok)); r.status != 401 || r.body["reason"] != auth.ReasonTokenExpired {
		t.Fatalf("31s past exp: %d %v", r.status, r.body)
	}
}

// Public operations are served without a token and without claims; a
// token sent to one anyway is not looked at.
func TestHTTPPublicOperationsSkipped(t *testing.T) {
	c := staticConfig(t)
	c.Public.Prefix = []string{"GET /open/"}
	c.Realm = ""
	base := serveHTTP(t, newAuth(t, c))
	for _, h := range []string{"", "Bearer garbage"} {
		if r := get(t, base+"/open/info", h); r.status != 200 || r.body["claims"] != false {
			t.Errorf("public route with %q: %d %v", h, r.status, r.body)
		}
	}
	if r := get(t, base+"/me", ""); r.status != 401 || r.challenge != "Bearer" {
		t.Errorf("/me is not public: %d %q", r.status, r.challenge)
	}
	if r := get(t, base+"/me", "Bearer garbage"); r.challenge != `Bearer error="invalid_token", error_description="token invalid"` {
		t.Errorf("no realm: challenge %q", r.challenge)
	}
}
