package storage

import (
	"encoding/base64"
	"unicode/utf8"
)

// ResolveRange returns the offset and length of the bytes opts selects in
// an object of size bytes, or ErrInvalidRange naming key. Backends use it so
// that they agree on ranges.
func ResolveRange(key string, opts GetOptions, size int64) (offset, length int64, err error) {
	if opts.Offset < 0 || (opts.Offset > 0 && opts.Offset >= size) {
		return 0, 0, ErrInvalidRange.WithMessage("storage: object %q is %d bytes; offset %d is out of range", clip(key), size, opts.Offset)
	}
	length = size - opts.Offset
	if opts.Length > 0 && opts.Length < length {
		length = opts.Length
	}
	return opts.Offset, length, nil
}

// EncodeToken returns the page token of a List that resumes after key:
// opaque to callers, though it is key itself, base64url-encoded. Backends
// that list in key order use it with DecodeToken.
func EncodeToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// DecodeToken returns the key a token from EncodeToken resumes after ("" for
// the empty token), or ErrInvalidToken.
func DecodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	// the decoder skips newlines: only the canonical form is a token
	if err != nil || len(b) == 0 || len(b) > MaxKeyLen || !utf8.Valid(b) || EncodeToken(string(b)) != token {
		return "", ErrInvalidToken.WithMessage("storage: page token %q is not one List returned", clip(token))
	}
	return string(b), nil
}
