package storage_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/storage"
)

func TestURLSigner(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := storage.NewURLSigner([]byte(strings.Repeat("k", 32)), "https://files.example.com/signed/", clock)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Sign("a b/ü.txt", "GET", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if !strings.HasPrefix(raw, "https://files.example.com/signed/a%20b/%C3%BC.txt?") {
		t.Fatalf("URL %s", raw)
	}
	q := u.Query()
	for _, m := range []string{"GET", "HEAD"} {
		if err := s.Verify(m, "a b/ü.txt", q); err != nil {
			t.Fatalf("Verify %s: %v", m, err)
		}
	}
	if err := s.Verify("PUT", "a b/ü.txt", q); !errors.Is(err, storage.ErrSignatureInvalid) {
		t.Fatalf("PUT with a GET signature: %v", err)
	}
	other, _ := storage.NewURLSigner([]byte(strings.Repeat("x", 32)), "https://files.example.com/signed", clock)
	if err := other.Verify("GET", "a b/ü.txt", q); !errors.Is(err, storage.ErrSignatureInvalid) {
		t.Fatalf("another secret: %v", err)
	}
	now = now.Add(time.Hour)
	if err := s.Verify("GET", "a b/ü.txt", q); !errors.Is(err, storage.ErrSignatureExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	for _, bad := range []struct {
		key, method string
		ttl         time.Duration
	}{{"../x", "GET", time.Hour}, {"x", "DELETE", time.Hour}, {"x", "GET", 0}, {"x", "GET", 8 * 24 * time.Hour}} {
		if _, err := s.Sign(bad.key, bad.method, bad.ttl); err == nil {
			t.Errorf("Sign(%q, %s, %v) succeeded", bad.key, bad.method, bad.ttl)
		}
	}
	if _, err := storage.NewURLSigner([]byte("short"), "https://x", nil); err == nil {
		t.Error("a short secret was accepted")
	}
	if _, err := storage.NewURLSigner([]byte(strings.Repeat("k", 32)), "/relative", nil); err == nil {
		t.Error("a relative base was accepted")
	}
}
