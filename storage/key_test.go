package storage_test

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/storagetest"
)

func TestValidateKey(t *testing.T) {
	for _, k := range storagetest.InvalidKeys {
		err := storage.ValidateKey(k)
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	for _, k := range []string{"a", "a/b/c.txt", "a..b", ".hidden", "..dots..", "名前", "a b", "x/y-z_1.tar.gz"} {
		if err := storage.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
}

func TestValidateKeyErrorNamesKeyAndRule(t *testing.T) {
	for k, why := range map[string]string{
		"../etc/passwd": `".." path segment`,
		"/etc/passwd":   "absolute",
		"a\x00b":        "NUL byte at offset 1",
		"":              "empty",
		`a\b`:           "backslash",
	} {
		err := storage.ValidateKey(k)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateKey(%q) = %v, want it to say %q", k, err, why)
		}
	}
	err := storage.ValidateKey("../x")
	if !strings.Contains(err.Error(), `"../x"`) {
		t.Errorf("error %q does not quote the key", err)
	}
	long := strings.Repeat("k", 10000)
	if err := storage.ValidateKey(long); len(err.Error()) > 500 {
		t.Errorf("error for a 10000-byte key is %d bytes long", len(err.Error()))
	}
}

// FuzzValidateKey checks that every key ValidateKey accepts is a clean,
// relative path that stays under any directory it is joined to.
func FuzzValidateKey(f *testing.F) {
	for _, k := range append([]string{"a/b", "a..b", ".x", "é/名"}, storagetest.InvalidKeys...) {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.ValidateKey(key) != nil {
			return
		}
		if key == "" || len(key) > storage.MaxKeyLen || !utf8.ValidString(key) {
			t.Fatalf("accepted %q: empty, too long or not UTF-8", key)
		}
		if path.Clean(key) != key || path.IsAbs(key) || key == ".." || strings.HasPrefix(key, "../") {
			t.Fatalf("accepted %q, which is not a clean relative path", key)
		}
		if strings.ContainsAny(key, "\\\x00") || strings.IndexFunc(key, unicode.IsControl) >= 0 {
			t.Fatalf("accepted %q with a backslash or control character", key)
		}
		if j := path.Join("/root", key); !strings.HasPrefix(j, "/root/") {
			t.Fatalf("accepted %q, which escapes: %q", key, j)
		}
	})
}

// FuzzDecodeToken checks that a page token from outside is accepted only
// when it is one EncodeToken made, and round-trips.
func FuzzDecodeToken(f *testing.F) {
	f.Add("")
	f.Add(storage.EncodeToken("a/b"))
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, tok string) {
		k, err := storage.DecodeToken(tok)
		if err != nil {
			if !errors.Is(err, storage.ErrInvalidToken) {
				t.Fatalf("DecodeToken(%q) = %v, want ErrInvalidToken", tok, err)
			}
			return
		}
		if tok != "" && storage.EncodeToken(k) != tok {
			t.Fatalf("token %q decodes to %q, which encodes to %q", tok, k, storage.EncodeToken(k))
		}
	})
}
