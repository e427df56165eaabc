package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goxkit/gox/errors"
)

// Query parameters of a signed URL.
const (
	ParamExpires   = "X-Gox-Expires"
	ParamSignature = "X-Gox-Signature"
)

// Limits of URLSigner.
const (
	MinSecretLen = 32
	MaxSignedTTL = 7 * 24 * time.Hour // S3's limit too
)

// Reasons of the 403 answering a bad signed URL.
const (
	ReasonSignatureInvalid = "SIGNATURE_INVALID"
	ReasonSignatureExpired = "SIGNATURE_EXPIRED"
)

var (
	// ErrSignatureInvalid: a signed URL's signature is missing or does not
	// match (tampered with, or made with another secret) (403).
	ErrSignatureInvalid = errors.Forbidden(ReasonSignatureInvalid, "storage: invalid URL signature")
	// ErrSignatureExpired: a signed URL's expiry has passed (403).
	ErrSignatureExpired = errors.Forbidden(ReasonSignatureExpired, "storage: signed URL expired")
)

// URLSigner makes and checks signed URLs for a store served over HTTP by
// gox (storagehttp.Signed): base URL + "/" + key, with an expiry and an
// HMAC-SHA256 over the method, the key and the expiry, keyed by a secret
// shared by every instance serving the store. A URL signed for GET also
// allows HEAD. Anyone holding the URL has the access until it expires; a
// signature cannot be revoked except by changing the secret.
type URLSigner struct {
	secret []byte
	base   string
	now    func() time.Time
}

// NewURLSigner returns a URLSigner. secret must be at least MinSecretLen
// bytes (random ones); base is the absolute URL of the route serving the
// store ("https://files.example.com/signed"). now is the clock (time.Now if
// nil).
func NewURLSigner(secret []byte, base string, now func() time.Time) (*URLSigner, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("storage: signing secret is %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	u, err := url.Parse(base)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("storage: signed URL base %q is not an absolute http(s) URL without a query", base)
	}
	if now == nil {
		now = time.Now
	}
	return &URLSigner{secret: append([]byte(nil), secret...), base: strings.TrimSuffix(base, "/"), now: now}, nil
}

// Sign returns a URL allowing method (GET or PUT) on key for ttl.
func (s *URLSigner) Sign(key, method string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if method != http.MethodGet && method != http.MethodPut {
		return "", fmt.Errorf("storage: cannot sign method %q (GET or PUT)", method)
	}
	if ttl <= 0 || ttl > MaxSignedTTL {
		return "", fmt.Errorf("storage: signed URL ttl %v is not within (0, %v]", ttl, MaxSignedTTL)
	}
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	q := url.Values{ParamExpires: {exp}, ParamSignature: {s.mac(method, key, exp)}}
	return s.base + "/" + EscapeKey(key) + "?" + q.Encode(), nil
}

// Verify checks the signature and expiry of a request for method on key,
// whose query is q. It returns nil, ErrSignatureInvalid or
// ErrSignatureExpired.
func (s *URLSigner) Verify(method, key string, q url.Values) error {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	exp, sig := q.Get(ParamExpires), q.Get(ParamSignature)
	if exp == "" || sig == "" {
		return ErrSignatureInvalid.WithMessage("storage: URL is not signed (no %s or %s)", ParamExpires, ParamSignature)
	}
	got, err := hex.DecodeString(sig)
	want := s.macBytes(method, key, exp)
	if err != nil || !hmac.Equal(got, want) {
		return ErrSignatureInvalid
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil { // cannot happen with a valid MAC; kept for safety
		return ErrSignatureInvalid
	}
	if !s.now().Before(time.Unix(t, 0)) {
		return ErrSignatureExpired.WithMessage("storage: signed URL expired at %s", time.Unix(t, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *URLSigner) mac(method, key, exp string) string {
	return hex.EncodeToString(s.macBytes(method, key, exp))
}

func (s *URLSigner) macBytes(method, key, exp string) []byte {
	m := hmac.New(sha256.New, s.secret)
	// NUL cannot occur in a key or a method: no two inputs sign alike
	m.Write([]byte(method + "\x00" + key + "\x00" + exp))
	return m.Sum(nil)
}

// EscapeKey escapes each segment of key for a URL path.
func EscapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
