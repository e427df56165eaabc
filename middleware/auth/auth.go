package auth

import (
	"context"
	stderrors "errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// Reasons of the errors a refused call ends with.
const (
	// ReasonUnauthenticated: the call carries no token (401).
	ReasonUnauthenticated = "UNAUTHENTICATED"
	// ReasonTokenExpired: the token's exp has passed (401); the client
	// should get a new token.
	ReasonTokenExpired = "TOKEN_EXPIRED"
	// ReasonTokenInvalid: anything else wrong with the token (401):
	// malformed, a bad or unverifiable signature, an algorithm not
	// accepted, not valid yet, the wrong issuer or audience, a required
	// claim missing.
	ReasonTokenInvalid = "TOKEN_INVALID"
	// ReasonKeysUnavailable: the JWK Set has never been fetched, so the
	// token cannot be checked (503): the service's problem, not the
	// caller's.
	ReasonKeysUnavailable = "AUTH_KEYS_UNAVAILABLE"
)

// Sentinels for errors.Is on either side of a call.
var (
	ErrUnauthenticated = errors.Unauthorized(ReasonUnauthenticated, "authentication required")
	ErrTokenExpired    = errors.Unauthorized(ReasonTokenExpired, "token expired")
	ErrTokenInvalid    = errors.Unauthorized(ReasonTokenInvalid, "token invalid")
	ErrKeysUnavailable = errors.Unavailable(ReasonKeysUnavailable, "token keys unavailable")
)

// Option configures an Authenticator.
type Option func(*Authenticator)

// WithLogger logs JWK Set fetch failures (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *Authenticator) { a.log = l } }

// WithHTTPClient fetches the JWK Set with c (default a client of its own;
// jwks.timeout bounds each fetch either way).
func WithHTTPClient(c *http.Client) Option { return func(a *Authenticator) { a.client = c } }

// WithClock reads the time from now: token validity and the JWK Set's
// refresh schedule (default time.Now). Tests move a fake one.
func WithClock(now func() time.Time) Option { return func(a *Authenticator) { a.now = now } }

// WithPublic adds m to the operations Config.Public makes public.
func WithPublic(m middleware.Matcher) Option { return func(a *Authenticator) { a.extraPublic = m } }

// Authenticator verifies tokens. It is safe for concurrent use.
type Authenticator struct {
	cfg         Config
	c           *compiled
	parser      *jwt.Parser
	jwks        *keySet
	log         *slog.Logger
	client      *http.Client
	now         func() time.Time
	extraPublic middleware.Matcher
	public      middleware.Matcher
	challenge   string // the WWW-Authenticate value when no token came
}

// New returns an Authenticator for c, or an error naming the key of c that
// is wrong. It fetches nothing: the JWK Set is fetched by the first call
// that needs it (Refresh fetches it at start, for a service that wants to).
func New(c Config, opts ...Option) (*Authenticator, error) {
	cc, err := c.compile()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{cfg: c, c: cc, log: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(a)
	}
	if a.client == nil {
		a.client = &http.Client{}
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(cc.algs),
		jwt.WithLeeway(c.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(a.now),
	}
	if len(c.Audiences) > 0 {
		popts = append(popts, jwt.WithAudience(c.Audiences...))
	}
	a.parser = jwt.NewParser(popts...)
	if c.JWKS.URL != "" {
		a.jwks = newKeySet(c.JWKS, a.client, a.now, a.log)
	}
	a.public = cc.public
	if a.extraPublic != nil {
		a.public = orMatch(cc.public, a.extraPublic)
	}
	a.challenge = c.scheme()
	if c.Realm != "" {
		a.challenge += ` realm="` + c.Realm + `"`
	}
	return a, nil
}

func orMatch(a, b middleware.Matcher) middleware.Matcher {
	if a == nil {
		return b
	}
	return func(op string) bool { return a(op) || b(op) }
}

func (c Config) scheme() string {
	if c.Scheme == "" {
		return "Bearer"
	}
	return c.Scheme
}

// Close stops a JWK Set fetch in flight and waits for it.
func (a *Authenticator) Close() error {
	if a.jwks != nil {
		a.jwks.close()
	}
	return nil
}

// Refresh fetches the JWK Set now, unless the rate limit forbids it (then
// the cached set stays), and waits for the fetch: a service that wants its
// keys before it serves calls it at start. Its error is the fetch's failure
// (the cached keys, if any, stay in use); nil without a JWKS URL.
func (a *Authenticator) Refresh(ctx context.Context) error {
	if a.jwks == nil {
		return nil
	}
	if r := a.jwks.join(); r != nil {
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return ErrKeysUnavailable.WithMessage("JWK Set %s: %v", a.cfg.JWKS.URL, r.err)
		}
	}
	if a.jwks.cur.Load() == nil {
		return ErrKeysUnavailable.WithMessage("JWK Set %s not loaded; see the log", a.cfg.JWKS.URL)
	}
	return nil
}

// Middleware checks the token of every call but those of public
// operations, and hands the verified claims to the rest of the chain
// (FromContext). A call with no server transport in its context is refused:
// there is no token to read.
func (a *Authenticator) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if ok && a.public != nil && a.public(tr.Operation()) {
				return next(ctx, req)
			}
			claims, err := a.authenticate(ctx, tr, ok)
			if err != nil {
				return nil, err
			}
			return next(NewContext(ctx, claims), req)
		}
	}
}

func (a *Authenticator) authenticate(ctx context.Context, tr transport.Transporter, ok bool) (*Claims, error) {
	token, found := "", false
	if ok {
		token, found = a.token(tr.RequestHeader().Get(a.cfg.Header))
	}
	if !found {
		if ok && tr.Kind() == transport.KindHTTP {
			tr.ReplyHeader().Set("WWW-Authenticate", a.challenge)
		}
		return nil, errors.Unauthorized(ReasonUnauthenticated, "authentication required: no "+a.scheme()+"token in "+a.cfg.Header)
	}
	claims, err := a.Verify(ctx, token)
	if err != nil && ok && tr.Kind() == transport.KindHTTP && errors.IsUnauthorized(err) {
		// RFC 6750 §3: the challenge, with the error and a description the
		// client may show; the message is already safe for clients
		sep := ", " // after the realm parameter
		if a.cfg.Realm == "" {
			sep = " " // straight after the scheme: "Bearer error=..."
		}
		tr.ReplyHeader().Set("WWW-Authenticate", a.challenge+sep+`error="invalid_token", error_description="`+errors.FromError(err).Message+`"`)
	}
	return claims, err
}

func (a *Authenticator) scheme() string {
	if a.cfg.Scheme == "" {
		return ""
	}
	return a.cfg.Scheme + " "
}

// token cuts the token out of the header's value.
func (a *Authenticator) token(v string) (string, bool) {
	if a.cfg.Scheme != "" {
		n := len(a.cfg.Scheme)
		if len(v) <= n || v[n] != ' ' || !strings.EqualFold(v[:n], a.cfg.Scheme) {
			return "", false
		}
		v = v[n+1:]
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// Verify checks token as the middleware does and returns its claims, or the
// coded error the middleware would end the call with: for tokens that come
// by another way (a WebSocket message, a query parameter of a download link).
func (a *Authenticator) Verify(ctx context.Context, token string) (*Claims, error) {
	m := jwt.MapClaims{}
	_, err := a.parser.ParseWithClaims(token, m, func(t *jwt.Token) (any, error) { return a.key(ctx, t) })
	if err != nil {
		return nil, refusal(err)
	}
	if len(a.c.issuers) > 0 {
		if iss, _ := m["iss"].(string); !a.c.issuers[iss] {
			return nil, errors.Unauthorized(ReasonTokenInvalid, "token issuer not accepted")
		}
	}
	for _, name := range a.cfg.RequiredClaims {
		if m[name] == nil {
			return nil, errors.Unauthorized(ReasonTokenInvalid, "token lacks the "+name+" claim")
		}
	}
	return fromMap(m), nil
}

// refusal maps a golang-jwt error to the call's error. What failed in the
// signature check (a bad signature, an unknown kid, the wrong key type, an
// algorithm not accepted, a malformed token) is never told apart to the
// client: that would help a forger. Claims are checked only once the
// signature holds, so naming the claim that failed tells nothing to one.
func refusal(err error) error {
	var e *errors.Error
	switch {
	case stderrors.Is(err, errKeysUnavailable):
		e = errors.Unavailable(ReasonKeysUnavailable, "token keys unavailable")
	case stderrors.Is(err, context.Canceled), stderrors.Is(err, context.DeadlineExceeded):
		return errors.FromError(err) // the caller gave up waiting for the JWK Set
	case stderrors.Is(err, jwt.ErrTokenExpired):
		e = errors.Unauthorized(ReasonTokenExpired, "token expired")
	case stderrors.Is(err, jwt.ErrTokenMalformed), stderrors.Is(err, jwt.ErrTokenSignatureInvalid),
		stderrors.Is(err, jwt.ErrTokenUnverifiable):
		e = errors.Unauthorized(ReasonTokenInvalid, "token invalid")
	case stderrors.Is(err, jwt.ErrTokenNotValidYet):
		e = errors.Unauthorized(ReasonTokenInvalid, "token not valid yet")
	case stderrors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		e = errors.Unauthorized(ReasonTokenInvalid, "token issued in the future")
	case stderrors.Is(err, jwt.ErrTokenInvalidAudience):
		e = errors.Unauthorized(ReasonTokenInvalid, "token audience not accepted")
	case stderrors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// the parser requires aud alone (when audiences are set); the
		// required_claims are checked after it
		e = errors.Unauthorized(ReasonTokenInvalid, "token lacks the aud claim")
	default:
		e = errors.Unauthorized(ReasonTokenInvalid, "token invalid")
	}
	return e.WithCause(err)
}

// key finds what verifies t: the HMAC secret for an HS token; else the
// static key its kid names, then the JWK Set's; a token without a kid is
// tried against every key of its algorithm. A key alg does not verify
// with (an RSA key for an HS256 token, a P-384 key for ES256) or whose JWK
// names another alg is never returned.
func (a *Authenticator) key(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg() // one of the accepted: the parser checked
	if algFamily[alg] == famHMAC {
		if a.c.secret == nil {
			return nil, errNoKey
		}
		return a.c.secret, nil
	}
	kid, _ := t.Header["kid"].(string)
	if k, ok := a.c.keys[kid]; ok && kid != "" {
		if !verifies(alg, k) {
			return nil, errNoKey
		}
		return k, nil
	}
	var set keyMap
	if a.jwks != nil {
		var err error
		if set, err = a.jwks.lookup(ctx, kid); err != nil {
			return nil, err
		}
	}
	if kid != "" {
		j, ok := set[kid]
		if !ok || !j.verifies(alg) {
			return nil, errNoKey
		}
		return j.key, nil
	}
	var keys []jwt.VerificationKey
	for _, k := range a.c.keys {
		if verifies(alg, k) {
			keys = append(keys, k)
		}
	}
	for _, j := range set {
		if j.verifies(alg) {
			keys = append(keys, j.key)
		}
	}
	switch len(keys) {
	case 0:
		return nil, errNoKey
	case 1:
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

func (j jwk) verifies(alg string) bool {
	return (j.alg == "" || j.alg == alg) && verifies(alg, j.key)
}
