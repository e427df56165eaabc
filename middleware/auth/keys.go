package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

// The algorithms a Config may allow. "none" is never one of them.
const (
	HS256 = "HS256"
	HS384 = "HS384"
	HS512 = "HS512"
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
	PS256 = "PS256"
	PS384 = "PS384"
	PS512 = "PS512"
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	EdDSA = "EdDSA"
)

// minRSABits is the smallest RSA modulus accepted for verifying or signing
// (NIST SP 800-131A: 2048 bits since 2014).
const minRSABits = 2048

// minHMACBytes is the shortest HMAC secret accepted: RFC 7518 §3.2 wants a
// key at least as long as the hash output, 32 bytes for HS256.
const minHMACBytes = 32

// family is the kind of key an algorithm needs.
type family int

const (
	famHMAC family = iota + 1
	famRSA
	famEC
	famEd25519
)

var algFamily = map[string]family{
	HS256: famHMAC, HS384: famHMAC, HS512: famHMAC,
	RS256: famRSA, RS384: famRSA, RS512: famRSA,
	PS256: famRSA, PS384: famRSA, PS512: famRSA,
	ES256: famEC, ES384: famEC, ES512: famEC,
	EdDSA: famEd25519,
}

// ecCurve is the one curve each ES algorithm is defined on (RFC 7518 §3.4).
var ecCurve = map[string]elliptic.Curve{ES256: elliptic.P256(), ES384: elliptic.P384(), ES512: elliptic.P521()}

// verifies reports whether key, a public key or an HMAC secret, is of the
// type alg verifies with: an RSA key never verifies an HS256 token, so a
// token signed with the RSA public key as an HMAC secret is refused.
func verifies(alg string, key any) bool {
	switch k := key.(type) {
	case []byte:
		return algFamily[alg] == famHMAC && len(k) >= minHMACBytes
	case *rsa.PublicKey:
		return algFamily[alg] == famRSA && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return algFamily[alg] == famEC && k.Curve == ecCurve[alg]
	case ed25519.PublicKey:
		return alg == EdDSA && len(k) == ed25519.PublicKeySize
	}
	return false
}

// describe names a key's type for error messages.
func describe(key any) string {
	switch k := key.(type) {
	case []byte:
		return "an HMAC secret"
	case *rsa.PublicKey:
		return fmt.Sprintf("an RSA public key of %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "an ECDSA public key on " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "an Ed25519 public key"
	}
	return fmt.Sprintf("a key of type %T", key)
}

// parsePublicKey reads a PEM public key (PKIX "PUBLIC KEY", PKCS #1 "RSA
// PUBLIC KEY" or a "CERTIFICATE"), given as the PEM text or as the path of a
// file holding it.
func parsePublicKey(v string) (any, error) {
	data := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("neither PEM text nor a readable file: %w", err)
		}
		data = b
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, fmt.Errorf("a %s: give the public key, a verifier never needs the private one", block.Type)
	}
	return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
}
