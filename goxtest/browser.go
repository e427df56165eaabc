package goxtest

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// BrowserDOM loads url in headless Chromium, as a user's browser would
// (basic-auth credentials in the URL, redirects, the HTML parsed and
// scripts run), and returns the DOM it ends with. The test fails in CI,
// and is skipped elsewhere, when chromium is not installed.
func BrowserDOM(t testing.TB, url string) string {
	t.Helper()
	bin := RequireBinary(t, "chromium", "apt-get install chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
		"--user-data-dir="+t.TempDir(), "--dump-dom", url).Output()
	if err != nil {
		t.Fatalf("chromium on %s: %v", url, err)
	}
	return string(out)
}
