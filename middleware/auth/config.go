package auth

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goxkit/gox/middleware"
)

// Config is what the `auth:` block of a service's config.yaml holds: which
// tokens are accepted, against which keys, and which operations need none.
type Config struct {
	// Algorithms are the signature algorithms accepted (default RS256,
	// ES256, EdDSA). A token signed with any other is refused, whatever
	// its key; "none" is never accepted.
	Algorithms []string `yaml:"algorithms"`
	// HMACSecret verifies HS256/384/512 tokens: at least 32 bytes, given
	// through the environment (${JWT_SECRET}), never checked in.
	HMACSecret string `yaml:"hmac_secret"`
	// PublicKeys verify RS, PS, ES and EdDSA tokens, by the key id (kid)
	// tokens name in their header. A value is the PEM text of a public key
	// or certificate, or the path of a file holding it.
	PublicKeys map[string]string `yaml:"public_keys"`
	// JWKS fetches keys from an identity provider's JWK Set URL.
	JWKS JWKS `yaml:"jwks"`
	// Issuers, when set, are the only iss values accepted.
	Issuers []string `yaml:"issuers"`
	// Audiences, when set, are the aud values accepted: a token must name
	// at least one of them.
	Audiences []string `yaml:"audiences"`
	// Leeway is the clock skew tolerated on exp, nbf and iat (default 30s).
	Leeway time.Duration `yaml:"leeway"`
	// RequiredClaims must be in every token (default exp: a token without
	// one would never expire).
	RequiredClaims []string `yaml:"required_claims"`
	// Header carries the token (default Authorization; gRPC reads the
	// metadata key of the same name in lower case).
	Header string `yaml:"header"`
	// Scheme prefixes the token in Header (default Bearer, compared without
	// regard to case); empty: the header's whole value is the token.
	Scheme string `yaml:"scheme"`
	// Realm is named in the WWW-Authenticate challenge; empty: none.
	Realm string `yaml:"realm"`
	// Public selects the operations that need no token (health probes, a
	// login route), named as middleware selectors name them: "GET /ping",
	// "/user.v1.User/Login".
	Public Selector `yaml:"public"`
}

// JWKS configures keys fetched from a JWK Set URL (RFC 7517).
type JWKS struct {
	// URL of the set; empty: no JWKS.
	URL string `yaml:"url"`
	// RefreshInterval is the age past which the cached set is refreshed in
	// the background, on the next call that reads it (default 1h).
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// MinRefreshInterval is the least time between two fetches, whatever
	// asks for them: a token with an unknown key id, a stale set, a retry
	// while the endpoint is down (default 1m).
	MinRefreshInterval time.Duration `yaml:"min_refresh_interval"`
	// Timeout bounds one fetch (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// Selector selects operations by exact name, prefix or regular expression;
// an operation any of them matches is selected.
type Selector struct {
	Exact  []string `yaml:"exact"`
	Prefix []string `yaml:"prefix"`
	Regex  string   `yaml:"regex"`
}

// DefaultConfig accepts the asymmetric algorithms, requires exp, tolerates
// 30s of clock skew and reads "Authorization: Bearer <token>". It names no
// key: a service sets hmac_secret, public_keys or jwks.url.
func DefaultConfig() Config {
	return Config{
		Algorithms:     []string{RS256, ES256, EdDSA},
		PublicKeys:     map[string]string{},
		JWKS:           JWKS{RefreshInterval: time.Hour, MinRefreshInterval: time.Minute, Timeout: 10 * time.Second},
		Issuers:        []string{},
		Audiences:      []string{},
		Leeway:         30 * time.Second,
		RequiredClaims: []string{"exp"},
		Header:         "Authorization",
		Scheme:         "Bearer",
		Public:         Selector{Exact: []string{}, Prefix: []string{}},
	}
}

// Validate names the key of the first problem, under the auth: block:
// "auth.algorithms[1]: \"none\" is never accepted", "auth.public_keys[k1]:
// an RSA public key of 2048 bits, which none of algorithms [HS256]
// verifies", "auth.jwks.url: \"ftp://idp\" is not an http(s) URL".
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// compiled is a validated Config in the form the verifier reads.
type compiled struct {
	algs    []string
	secret  []byte
	keys    map[string]any // kid → public key
	issuers map[string]bool
	public  middleware.Matcher
}

func (c Config) compile() (*compiled, error) {
	out := &compiled{keys: make(map[string]any, len(c.PublicKeys))}
	if len(c.Algorithms) == 0 {
		return nil, fmt.Errorf("auth.algorithms: empty; list the algorithms tokens are signed with (RS256, ES256, EdDSA, HS256, ...)")
	}
	families := map[family]bool{}
	for i, a := range c.Algorithms {
		f, ok := algFamily[a]
		switch {
		case strings.EqualFold(a, "none"):
			return nil, fmt.Errorf("auth.algorithms[%d]: %q is never accepted: an unsigned token proves nothing", i, a)
		case !ok:
			return nil, fmt.Errorf("auth.algorithms[%d]: %q is not one of %s", i, a, strings.Join(slices.Sorted(maps.Keys(algFamily)), ", "))
		}
		families[f] = true
		out.algs = append(out.algs, a)
	}
	if err := c.compileKeys(out, families); err != nil {
		return nil, err
	}
	if err := c.JWKS.validate(); err != nil {
		return nil, err
	}
	if c.HMACSecret == "" && len(c.PublicKeys) == 0 && c.JWKS.URL == "" {
		return nil, fmt.Errorf("auth.hmac_secret, auth.public_keys, auth.jwks.url: no key to verify tokens with; set one of them")
	}
	if families[famHMAC] && c.HMACSecret == "" {
		return nil, fmt.Errorf("auth.hmac_secret: empty, but algorithms allow HMAC (HS256/384/512); set it or drop those algorithms")
	}
	for i, iss := range c.Issuers {
		if iss == "" {
			return nil, fmt.Errorf("auth.issuers[%d]: empty", i)
		}
		if out.issuers == nil {
			out.issuers = map[string]bool{}
		}
		out.issuers[iss] = true
	}
	for i, aud := range c.Audiences {
		if aud == "" {
			return nil, fmt.Errorf("auth.audiences[%d]: empty", i)
		}
	}
	for i, name := range c.RequiredClaims {
		if name == "" {
			return nil, fmt.Errorf("auth.required_claims[%d]: empty", i)
		}
	}
	switch {
	case c.Leeway < 0:
		return nil, fmt.Errorf("auth.leeway: must not be negative, got %s", c.Leeway)
	case c.Header == "":
		return nil, fmt.Errorf("auth.header: empty; the default is Authorization")
	case strings.ContainsAny(c.Scheme, " \t\""):
		return nil, fmt.Errorf("auth.scheme: %q is not a single token such as Bearer", c.Scheme)
	case strings.Contains(c.Realm, `"`):
		return nil, fmt.Errorf("auth.realm: %q must not contain a double quote", c.Realm)
	}
	public, err := c.Public.matcher()
	if err != nil {
		return nil, fmt.Errorf("auth.public.%w", err)
	}
	out.public = public
	return out, nil
}

// compileKeys checks each static key against the allowed algorithms: a key
// no allowed algorithm verifies with is a mistake worth refusing at start.
func (c Config) compileKeys(out *compiled, families map[family]bool) error {
	if c.HMACSecret != "" {
		if !families[famHMAC] {
			return fmt.Errorf("auth.hmac_secret: set, but none of algorithms %v is HS256/384/512", c.Algorithms)
		}
		if len(c.HMACSecret) < minHMACBytes {
			return fmt.Errorf("auth.hmac_secret: %d bytes; at least %d are needed (RFC 7518 §3.2)", len(c.HMACSecret), minHMACBytes)
		}
		out.secret = []byte(c.HMACSecret)
	}
	for _, kid := range slices.Sorted(maps.Keys(c.PublicKeys)) {
		key, err := parsePublicKey(c.PublicKeys[kid])
		if err != nil {
			return fmt.Errorf("auth.public_keys[%s]: %w", kid, err)
		}
		if !slices.ContainsFunc(out.algs, func(a string) bool { return verifies(a, key) }) {
			return fmt.Errorf("auth.public_keys[%s]: %s, which none of algorithms %v verifies", kid, describe(key), c.Algorithms)
		}
		out.keys[kid] = key
	}
	return nil
}

func (j JWKS) validate() error {
	if j.URL == "" {
		return nil
	}
	u, err := url.Parse(j.URL)
	switch {
	case err != nil:
		return fmt.Errorf("auth.jwks.url: %w", err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return fmt.Errorf("auth.jwks.url: %q is not an http(s) URL", j.URL)
	case j.RefreshInterval <= 0:
		return fmt.Errorf("auth.jwks.refresh_interval: must be positive, got %s", j.RefreshInterval)
	case j.MinRefreshInterval <= 0:
		return fmt.Errorf("auth.jwks.min_refresh_interval: must be positive, got %s", j.MinRefreshInterval)
	case j.MinRefreshInterval > j.RefreshInterval:
		return fmt.Errorf("auth.jwks.min_refresh_interval: %s is longer than auth.jwks.refresh_interval %s", j.MinRefreshInterval, j.RefreshInterval)
	case j.Timeout <= 0:
		return fmt.Errorf("auth.jwks.timeout: must be positive, got %s", j.Timeout)
	}
	return nil
}

// matcher is the selector as a middleware.Matcher; nil when it selects
// nothing.
func (s Selector) matcher() (middleware.Matcher, error) {
	var ms []middleware.Matcher
	if len(s.Exact) > 0 {
		ms = append(ms, middleware.Exact(s.Exact...))
	}
	if len(s.Prefix) > 0 {
		for i, p := range s.Prefix {
			if p == "" {
				return nil, fmt.Errorf("prefix[%d]: empty, which would make every operation public", i)
			}
		}
		ms = append(ms, middleware.Prefix(s.Prefix...))
	}
	if s.Regex != "" {
		if _, err := regexp.Compile(s.Regex); err != nil {
			return nil, fmt.Errorf("regex %q: %v", s.Regex, err)
		}
		ms = append(ms, middleware.Regex(s.Regex))
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return func(op string) bool {
		for _, m := range ms {
			if m(op) {
				return true
			}
		}
		return false
	}, nil
}
