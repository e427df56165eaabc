package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"math/big"
)

// jwkJSON is one key of a JWK Set document (RFC 7517 §4, RFC 7518 §6,
// RFC 8037 §2): the members a signature key needs.
type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	// RSA
	N string `json:"n,omitempty"`
	E string `json:"e,omitempty"`
	// EC and OKP
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	// D would be a private member: a published set must not carry one.
	D string `json:"d,omitempty"`
}

type jwkSetJSON struct {
	Keys []json.RawMessage `json:"keys"`
}

// maxJWKSKeys bounds the keys read from one set: identity providers publish
// a handful; more is a broken or hostile endpoint.
const maxJWKSKeys = 100

// decodeJWKS reads a JWK Set document. Keys that are not for signatures
// (use "enc", symmetric "oct") are left out; a key that is malformed is left
// out and named in skipped; a document that is not a JWK Set is an error.
// A set with no usable key is an error too: the keys it would replace stay.
func decodeJWKS(data []byte) (keys keyMap, skipped error, err error) {
	var set jwkSetJSON
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if set.Keys == nil {
		return nil, nil, fmt.Errorf("not a JWK Set: no \"keys\" array")
	}
	if len(set.Keys) > maxJWKSKeys {
		return nil, nil, fmt.Errorf("JWK Set of %d keys; at most %d are read", len(set.Keys), maxJWKSKeys)
	}
	keys = make(keyMap, len(set.Keys))
	var errs []error
	for i, raw := range set.Keys {
		var k jwkJSON
		if err := json.Unmarshal(raw, &k); err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
			continue
		}
		if k.Use == "enc" || k.Kty == "oct" {
			continue // not for signatures; a symmetric key has no business in a published set
		}
		if _, dup := keys[k.Kid]; dup {
			errs = append(errs, fmt.Errorf("keys[%d] (kid %q): a second key with that kid", i, k.Kid))
			continue
		}
		key, err := k.publicKey()
		if err == nil && k.Alg != "" && !verifies(k.Alg, key) {
			err = fmt.Errorf("alg %q does not verify with %s", k.Alg, describe(key))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("keys[%d] (kid %q): %w", i, k.Kid, err))
			continue
		}
		keys[k.Kid] = jwk{key: key, alg: k.Alg}
	}
	skipped = stderrors.Join(errs...)
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("no usable signing key among %d", len(set.Keys))
	}
	return keys, skipped, nil
}

// publicKey builds the key k describes.
func (k jwkJSON) publicKey() (any, error) {
	if k.D != "" {
		return nil, fmt.Errorf("carries a private key (member d): refused, a published set holds public keys only")
	}
	switch k.Kty {
	case "RSA":
		n, err := b64int("n", k.N)
		if err != nil {
			return nil, err
		}
		e, err := b64int("e", k.E)
		if err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, fmt.Errorf("e: %s is not a usable RSA exponent", e)
		}
		if n.BitLen() < minRSABits {
			return nil, fmt.Errorf("n: an RSA modulus of %d bits; at least %d are needed", n.BitLen(), minRSABits)
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		return k.ecKey()
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("crv: %q is not Ed25519", k.Crv)
		}
		x, err := b64("x", k.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("x: %d bytes; an Ed25519 key has %d", len(x), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(x), nil
	case "":
		return nil, fmt.Errorf("kty: missing")
	}
	return nil, fmt.Errorf("kty: %q is not RSA, EC or OKP", k.Kty)
}

var jwkCurves = map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}

func (k jwkJSON) ecKey() (any, error) {
	curve, ok := jwkCurves[k.Crv]
	if !ok {
		return nil, fmt.Errorf("crv: %q is not P-256, P-384 or P-521", k.Crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, err := b64("x", k.X)
	if err != nil {
		return nil, err
	}
	y, err := b64("y", k.Y)
	if err != nil {
		return nil, err
	}
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("x, y: %d and %d bytes; %s coordinates have %d", len(x), len(y), k.Crv, size)
	}
	// the uncompressed point form makes crypto/ecdh check the point is on
	// the curve, which a forged key would not be
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("x, y: %w", err)
	}
	return pub, nil
}

func b64(member, v string) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("%s: missing", member)
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: not base64url: %w", member, err)
	}
	return b, nil
}

func b64int(member, v string) (*big.Int, error) {
	b, err := b64(member, v)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

// encodeJWK is the public JWK of key (a public key, or a private key whose
// public half is published).
func encodeJWK(kid, alg string, key any) (jwkJSON, error) {
	key = publicOf(key)
	enc := base64.RawURLEncoding.EncodeToString
	k := jwkJSON{Kid: kid, Alg: alg, Use: "sig"}
	switch pub := key.(type) {
	case *rsa.PublicKey:
		k.Kty, k.N, k.E = "RSA", enc(pub.N.Bytes()), enc(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		name := map[elliptic.Curve]string{elliptic.P256(): "P-256", elliptic.P384(): "P-384", elliptic.P521(): "P-521"}[pub.Curve]
		if name == "" {
			return k, fmt.Errorf("kid %q: an ECDSA key on a curve JWK does not name", kid)
		}
		point, err := pub.Bytes()
		if err != nil {
			return k, fmt.Errorf("kid %q: %w", kid, err)
		}
		size := (len(point) - 1) / 2
		k.Kty, k.Crv, k.X, k.Y = "EC", name, enc(point[1:1+size]), enc(point[1+size:])
	case ed25519.PublicKey:
		k.Kty, k.Crv, k.X = "OKP", "Ed25519", enc(pub)
	default:
		return k, fmt.Errorf("kid %q: %s has no public JWK (an HMAC secret is never published)", kid, describe(key))
	}
	if alg != "" && !verifies(alg, key) {
		return k, fmt.Errorf("kid %q: alg %s does not verify with %s", kid, alg, describe(key))
	}
	return k, nil
}

// publicOf returns the public half of a private key; other values as they are.
func publicOf(key any) any {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &k.PublicKey
	case *ecdsa.PrivateKey:
		return &k.PublicKey
	case ed25519.PrivateKey:
		return k.Public()
	}
	return key
}
