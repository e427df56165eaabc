package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/middleware/auth"
)

// Each wrong setting is refused at start with the key under auth: named.
func TestConfigErrorsNameTheKey(t *testing.T) {
	k := keys()
	rsaPEM := pemOf(t, k.rsa)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "ec.pem")
	if err := os.WriteFile(keyFile, []byte(pemOf(t, k.ec)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change func(*auth.Config)
		want   string
	}{
		{"no key", func(c *auth.Config) {}, "auth.hmac_secret, auth.public_keys, auth.jwks.url: no key"},
		{"alg none", func(c *auth.Config) { c.Algorithms = []string{auth.RS256, "none"}; c.PublicKeys["a"] = rsaPEM }, `auth.algorithms[1]: "none" is never accepted`},
		{"unknown alg", func(c *auth.Config) { c.Algorithms = []string{"RS257"}; c.PublicKeys["a"] = rsaPEM }, `auth.algorithms[0]: "RS257" is not one of`},
		{"no algorithms", func(c *auth.Config) { c.Algorithms = nil }, "auth.algorithms: empty"},
		{"short secret", func(c *auth.Config) { c.Algorithms = []string{auth.HS256}; c.HMACSecret = "short" }, "auth.hmac_secret: 5 bytes; at least 32"},
		{"secret without HS", func(c *auth.Config) { c.HMACSecret = string(secret) }, "auth.hmac_secret: set, but none of algorithms"},
		{"HS without secret", func(c *auth.Config) { c.Algorithms = []string{auth.HS256, auth.RS256}; c.PublicKeys["a"] = rsaPEM }, "auth.hmac_secret: empty, but algorithms allow HMAC"},
		{"key file missing", func(c *auth.Config) { c.PublicKeys["k1"] = filepath.Join(dir, "nope.pem") }, "auth.public_keys[k1]: neither PEM text nor a readable file"},
		{"private key", func(c *auth.Config) {
			c.PublicKeys["k1"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, "auth.public_keys[k1]: a PRIVATE KEY: give the public key"},
		{"key of no allowed alg", func(c *auth.Config) { c.Algorithms = []string{auth.EdDSA}; c.PublicKeys["k1"] = keyFile }, "auth.public_keys[k1]: an ECDSA public key on P-256, which none of algorithms [EdDSA] verifies"},
		{"jwks url", func(c *auth.Config) { c.JWKS.URL = "ftp://idp/keys" }, `auth.jwks.url: "ftp://idp/keys" is not an http(s) URL`},
		{"jwks refresh", func(c *auth.Config) { c.JWKS.URL = "https://idp/keys"; c.JWKS.RefreshInterval = 0 }, "auth.jwks.refresh_interval: must be positive"},
		{"jwks pace", func(c *auth.Config) { c.JWKS.URL = "https://idp/keys"; c.JWKS.MinRefreshInterval = 2 * time.Hour }, "auth.jwks.min_refresh_interval: 2h0m0s is longer than auth.jwks.refresh_interval 1h0m0s"},
		{"jwks timeout", func(c *auth.Config) { c.JWKS.URL = "https://idp/keys"; c.JWKS.Timeout = -1 }, "auth.jwks.timeout: must be positive"},
		{"empty issuer", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Issuers = []string{"x", ""} }, "auth.issuers[1]: empty"},
		{"empty audience", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Audiences = []string{""} }, "auth.audiences[0]: empty"},
		{"negative leeway", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Leeway = -time.Second }, "auth.leeway: must not be negative"},
		{"scheme", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Scheme = "Bearer token" }, "auth.scheme:"},
		{"public prefix", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Public.Prefix = []string{""} }, "auth.public.prefix[0]: empty, which would make every operation public"},
		{"public regex", func(c *auth.Config) { c.PublicKeys["a"] = rsaPEM; c.Public.Regex = "(" }, "auth.public.regex"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := auth.DefaultConfig()
			c.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v; want %q", err, c.want)
			}
			if _, err2 := auth.New(cfg); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("New: %v; want Validate's error", err2)
			}
		})
	}
	good := auth.DefaultConfig()
	good.PublicKeys["ec"] = keyFile
	good.JWKS.URL = "https://idp.test/.well-known/jwks.json"
	if err := good.Validate(); err != nil {
		t.Fatalf("a key file and a JWKS URL: %v", err)
	}
}
