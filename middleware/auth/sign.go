package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sign returns claims as a compact JWS signed with key by alg, kid (when not
// empty) in its header so that a verifier holding several keys picks the
// right one. key is the HMAC secret ([]byte, at least 32 bytes) for HS256/
// 384/512, an *rsa.PrivateKey of at least 2048 bits for RS and PS, an
// *ecdsa.PrivateKey on the algorithm's curve for ES256/384/512, an
// ed25519.PrivateKey for EdDSA. "none" is refused. Claims are written as
// encoding/json writes them: times are numbers of seconds (time.Unix()).
func Sign(alg, kid string, key any, claims map[string]any) (string, error) {
	if err := signs(alg, key); err != nil {
		return "", err
	}
	if claims == nil {
		claims = map[string]any{}
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), jwt.MapClaims(claims))
	if kid != "" {
		t.Header["kid"] = kid
	}
	return t.SignedString(key)
}

// signs reports why key cannot sign alg tokens, if it cannot.
func signs(alg string, key any) error {
	f, ok := algFamily[alg]
	if !ok {
		return fmt.Errorf("auth: algorithm %q is not one gox signs or accepts", alg)
	}
	private := false
	switch key.(type) {
	case []byte:
		private = f == famHMAC
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		private = true
	}
	if !private || !verifies(alg, publicOf(key)) {
		return fmt.Errorf("auth: %s cannot sign %s tokens", describeSigner(key), alg)
	}
	return nil
}

func describeSigner(key any) string {
	switch k := key.(type) {
	case []byte:
		return fmt.Sprintf("an HMAC secret of %d bytes", len(k))
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return "the private key of " + describe(publicOf(k))
	}
	return describe(key)
}

// Issuer issues tokens signed with one key, for a service that logs users
// in and for tests. The zero values of TTL and Now are 15 minutes and
// time.Now. An Issuer is safe for concurrent use once its fields are set.
type Issuer struct {
	// Algorithm signs the tokens (HS256, RS256, ES256, EdDSA, ...).
	Algorithm string
	// KeyID is written as the kid header; the public half of Key is
	// published under it (PublicJWKS).
	KeyID string
	// Key signs: see Sign for what each algorithm takes.
	Key any
	// Name is the iss claim; empty: none.
	Name string
	// Audience is the aud claim; empty: none.
	Audience []string
	// TTL is how long a token is valid (exp = iat + TTL).
	TTL time.Duration
	// Now reads the time iat, nbf and exp are counted from.
	Now func() time.Time
}

// Issue returns a token for subject: sub, iss, aud, iat, nbf (both now),
// exp (now + TTL) and a random jti, then claims, which may add custom claims
// ("roles", "tenant") and override the registered ones (a test making an
// expired token sets "exp"); a nil value leaves that claim out.
func (i *Issuer) Issue(subject string, claims map[string]any) (string, error) {
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	ttl := i.TTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	var jti [16]byte
	_, _ = rand.Read(jti[:]) // crypto/rand.Read never fails
	t := now()
	m := map[string]any{"iat": t.Unix(), "nbf": t.Unix(), "exp": t.Add(ttl).Unix(), "jti": hex.EncodeToString(jti[:])}
	if subject != "" {
		m["sub"] = subject
	}
	if i.Name != "" {
		m["iss"] = i.Name
	}
	switch len(i.Audience) {
	case 0:
	case 1:
		m["aud"] = i.Audience[0]
	default:
		m["aud"] = i.Audience
	}
	for k, v := range claims {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return Sign(i.Algorithm, i.KeyID, i.Key, m)
}

// PublicJWKS is the JWK Set document publishing the Issuer's public key,
// for a login service to serve at its JWKS URL (/.well-known/jwks.json).
// An HMAC secret is never published: the call fails.
func (i *Issuer) PublicJWKS() ([]byte, error) {
	if err := signs(i.Algorithm, i.Key); err != nil {
		return nil, err
	}
	return PublicJWKS(PublicKey{KeyID: i.KeyID, Algorithm: i.Algorithm, Key: i.Key})
}

// PublicKey is one key of a JWK Set PublicJWKS writes.
type PublicKey struct {
	// KeyID is the kid tokens signed by the key name.
	KeyID string
	// Algorithm, when set, is the one algorithm the key verifies; empty:
	// any its type verifies (an RSA key: RS and PS).
	Algorithm string
	// Key is an RSA, ECDSA or Ed25519 public key, or the private key whose
	// public half is written.
	Key any
}

// PublicJWKS returns the JWK Set document (RFC 7517 §5) of keys: during a
// key rotation, the new key and the one still signing live tokens. Key ids
// must be unique. Private members are never written.
func PublicJWKS(keys ...PublicKey) ([]byte, error) {
	set := struct {
		Keys []jwkJSON `json:"keys"`
	}{Keys: make([]jwkJSON, 0, len(keys))}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.KeyID] {
			return nil, fmt.Errorf("auth: two keys with kid %q", k.KeyID)
		}
		seen[k.KeyID] = true
		j, err := encodeJWK(k.KeyID, k.Algorithm, k.Key)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		set.Keys = append(set.Keys, j)
	}
	return json.Marshal(set)
}
