package storage

import (
	"fmt"
	"maps"
	"strings"
)

// Limits of user metadata, those of S3 (whose headers carry it).
const (
	MaxMetadataBytes  = 2048 // keys and values together
	MaxMetadataKeyLen = 128
)

// ValidateMetadata checks user metadata and returns it with its keys
// lower-cased, or ErrInvalidMetadata naming the entry. Keys are 1 to
// MaxMetadataKeyLen ASCII letters, digits and '-'; values are printable ASCII
// (space to '~') without leading or trailing spaces; keys and values
// together are at most MaxMetadataBytes. Keys differing only in case are
// one key, and passing both is an error. These rules are what an HTTP header
// carries intact, so every backend keeps metadata as given.
func ValidateMetadata(md map[string]string) (map[string]string, error) {
	if len(md) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(md))
	total := 0
	for k, v := range md {
		if why := metadataProblem(k, v); why != "" {
			return nil, ErrInvalidMetadata.WithMessage("storage: metadata %q: %s", clip(k), why)
		}
		lk := strings.ToLower(k)
		if _, dup := out[lk]; dup {
			return nil, ErrInvalidMetadata.WithMessage("storage: metadata %q: given twice in different cases", clip(k))
		}
		out[lk] = v
		total += len(k) + len(v)
	}
	if total > MaxMetadataBytes {
		return nil, ErrInvalidMetadata.WithMessage("storage: metadata is %d bytes, more than %d", total, MaxMetadataBytes)
	}
	return out, nil
}

func metadataProblem(k, v string) string {
	if k == "" || len(k) > MaxMetadataKeyLen {
		return fmt.Sprintf("key length %d is not within 1..%d", len(k), MaxMetadataKeyLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Sprintf("key has %q at offset %d (letters, digits and - only)", c, i)
		}
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return fmt.Sprintf("value has byte %#x at offset %d (printable ASCII only)", v[i], i)
		}
	}
	if strings.TrimSpace(v) != v {
		return "value has leading or trailing spaces"
	}
	return ""
}

// cloneMetadata copies md so that a caller's later changes do not reach a
// stored object, and a stored object's do not reach the caller.
func cloneMetadata(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	return maps.Clone(md)
}

// MaxContentTypeLen is the longest content type a Store accepts.
const MaxContentTypeLen = 256

// ValidateContentType checks a PutOptions.ContentType: at most
// MaxContentTypeLen bytes of printable ASCII, so that it is sent back in a
// Content-Type header as given. It returns ErrInvalidMetadata otherwise.
func ValidateContentType(ct string) error {
	if len(ct) > MaxContentTypeLen {
		return ErrInvalidMetadata.WithMessage("storage: content type is %d bytes, longer than %d", len(ct), MaxContentTypeLen)
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < ' ' || ct[i] > '~' {
			return ErrInvalidMetadata.WithMessage("storage: content type %q has byte %#x at offset %d (printable ASCII only)", clip(ct), ct[i], i)
		}
	}
	return nil
}

// ValidatePut checks what Put is given besides the content: the key, the
// content type and the metadata. It returns the metadata with its keys
// lower-cased. Every backend's Put calls it first.
func ValidatePut(key string, opts PutOptions) (map[string]string, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ValidateContentType(opts.ContentType); err != nil {
		return nil, err
	}
	return ValidateMetadata(opts.Metadata)
}
