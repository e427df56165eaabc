package storage

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key limits in bytes: S3's for a whole key, common file systems' for a
// segment (the name of one file or directory).
const (
	MaxKeyLen     = 1024
	MaxSegmentLen = 255
)

// ValidateKey returns nil if key is a valid object key, or ErrInvalidKey
// naming the key and the rule it breaks. Every backend calls it, so a key
// valid on one is valid on all. A key:
//
//   - is not empty and at most MaxKeyLen bytes of valid UTF-8;
//   - has no NUL, no control characters (C0, DEL, C1) and no backslash;
//   - is a relative, slash-separated path: it does not start or end with
//     "/", and has no empty, "." or ".." segment ("a//b", "./a", "a/../b");
//   - has no segment longer than MaxSegmentLen bytes.
//
// So a key maps to one file under a directory and cannot name anything
// outside it. Names such as "a..b" or ".profile" are valid.
func ValidateKey(key string) error {
	if why := keyProblem(key); why != "" {
		return ErrInvalidKey.WithMessage("storage: invalid key %q: %s", clip(key), why).
			WithMetadata(map[string]string{"key": clip(key), "why": why})
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("%d bytes long, longer than %d", len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute (starts with /)"
	case strings.HasSuffix(key, "/"):
		return "ends with /"
	}
	for i, r := range key {
		switch {
		case r == 0:
			return fmt.Sprintf("NUL byte at offset %d", i)
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U at offset %d", r, i)
		case r == '\\':
			return fmt.Sprintf("backslash at offset %d (keys use forward slashes only)", i)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return "empty path segment (//)"
		case ".", "..":
			return fmt.Sprintf("%q path segment", seg)
		}
		if len(seg) > MaxSegmentLen {
			return fmt.Sprintf("a path segment is %d bytes long, longer than %d", len(seg), MaxSegmentLen)
		}
	}
	return ""
}

// ValidatePrefix checks a List prefix: "" or at most MaxKeyLen bytes of
// valid UTF-8 with no control character. It returns ErrInvalidKey otherwise.
func ValidatePrefix(prefix string) error {
	why := ""
	switch {
	case len(prefix) > MaxKeyLen:
		why = fmt.Sprintf("%d bytes long, longer than %d", len(prefix), MaxKeyLen)
	case !utf8.ValidString(prefix):
		why = "not valid UTF-8"
	case strings.IndexFunc(prefix, unicode.IsControl) >= 0:
		why = "has a control character"
	}
	if why != "" {
		return ErrInvalidKey.WithMessage("storage: invalid prefix %q: %s", clip(prefix), why)
	}
	return nil
}

// clip shortens what an error quotes, so a 1 MiB key does not make a 1 MiB
// error message.
func clip(s string) string {
	const max = 128
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
