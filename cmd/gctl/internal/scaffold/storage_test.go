package scaffold_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// TestStorageS3OnSeaweedFS runs a service scaffolded with --storage s3
// against the real S3-compatible server CI starts (SeaweedFS, credentials
// checked): a file PUT to /v1/files/{key} is in the bucket and comes back
// whole and by range; an upload over storage.max_bytes is refused; and a
// wrong secret key stops the service at start, saying so.
func TestStorageS3OnSeaweedFS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project")
	}
	endpoint := storeAddr(t, "S3_ENDPOINT")
	o := scaffold.Options{Kind: "api", Name: "files", DB: "none", Queue: "none", Cache: "none", Metric: "none", Storage: "s3"}
	dir, addr := builtService(t, o, func(cfg string) string {
		return strings.Replace(cfg, "max_bytes: 33554432", "max_bytes: 1048576", 1)
	})
	s3env := []string{"S3_ENDPOINT=" + endpoint, "S3_BUCKET=" + os.Getenv("S3_BUCKET"), "S3_REGION=" + os.Getenv("S3_REGION"),
		"S3_ACCESS_KEY=" + os.Getenv("S3_ACCESS_KEY")}

	// a wrong secret: the service does not start, and says why
	bad := exec.Command("./svc", "serve")
	bad.Dir, bad.Env = dir, append(append(os.Environ(), s3env...), "S3_SECRET_KEY=not-the-secret")
	out, err := bad.CombinedOutput()
	if err == nil || !strings.Contains(strings.ToLower(string(out)), "signature") {
		t.Fatalf("serve with a wrong S3 secret: %v, want a failed start naming the signature error:\n%s", err, out)
	}

	svc := startService(t, dir, addr, append(s3env, "S3_SECRET_KEY="+os.Getenv("S3_SECRET_KEY"))...)
	base := "http://" + addr
	call := func(method, path string, body []byte, header ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	key := fmt.Sprintf("scaffold-test/%d/notes.txt", time.Now().UnixNano())
	payload := bytes.Repeat([]byte("gox on s3. "), 1000) // 11,000 bytes of text
	if code, body := call("PUT", "/v1/files/"+key, payload); code != http.StatusCreated || !strings.Contains(body, `"size":11000`) {
		t.Fatalf("PUT = %d %s, want 201 with 11000 bytes\n%s", code, body, svc.logs())
	}
	if code, body := call("GET", "/v1/files/"+key, nil); code != http.StatusOK || body != string(payload) {
		t.Fatalf("GET = %d, %d bytes, want 200 and the 11000 bytes put", code, len(body))
	}
	if code, body := call("GET", "/v1/files/"+key, nil, "Range", "bytes=4-9"); code != http.StatusPartialContent || body != "on s3." {
		t.Fatalf("GET bytes=4-9 = %d %q, want 206 \"on s3.\"", code, body)
	}
	big := key + ".big"
	if code, body := call("PUT", "/v1/files/"+big, bytes.Repeat([]byte("x"), 1<<20+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT over storage.max_bytes = %d %s, want 413", code, body)
	}
	if code, _ := call("GET", "/v1/files/"+big, nil); code != http.StatusNotFound {
		t.Fatalf("GET after a refused upload = %d, want 404: nothing is kept", code)
	}
	svc.stop()
}
