package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	stderrors "errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/storage"
)

// TestWrongCredentials: SeaweedFS checks credentials (ci/seaweedfs.sh gives
// it an identity), so a wrong secret key fails Open with ErrAccessDenied
// naming the endpoint, the access key and the cause, and never the secret;
// so does an unknown access key, and a Store made with New fails its first
// Put the same way.
func TestWrongCredentials(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.SecretKey = "wrong-secret-0123456789"
	_, err := Open(ctx, cfg)
	if !stderrors.Is(err, ErrAccessDenied) {
		t.Fatalf("Open with a wrong secret key = %v, want ErrAccessDenied", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `access key "`+cfg.AccessKey+`"`) || !strings.Contains(msg, "SignatureDoesNotMatch") || strings.Contains(msg, cfg.SecretKey) {
		t.Fatalf("error %q should name the access key and SignatureDoesNotMatch, and not the secret", msg)
	}
	t.Logf("wrong secret: %v", err)

	cfg = testConfig(t)
	cfg.AccessKey = "nobody"
	if _, err := Open(ctx, cfg); !stderrors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("Open with an unknown access key = %v, want ErrAccessDenied naming it", err)
	}

	cfg = testConfig(t)
	cfg.SecretKey = "wrong-secret-0123456789"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(ctx, "k", strings.NewReader("x"), storage.PutOptions{}); !stderrors.Is(err, ErrAccessDenied) {
		t.Fatalf("Put with a wrong secret key = %v, want ErrAccessDenied", err)
	}
}

// TestOpenMissingBucket: a bucket that does not exist fails Open with
// ErrNoBucket naming it, unless create_bucket is set.
func TestOpenMissingBucket(t *testing.T) {
	cfg := testConfig(t)
	cfg.Bucket, cfg.CreateBucket = "gox-no-such-bucket", false
	_, err := Open(context.Background(), cfg)
	if !stderrors.Is(err, ErrNoBucket) || !strings.Contains(err.Error(), `"gox-no-such-bucket"`) || !strings.Contains(err.Error(), "create_bucket") {
		t.Fatalf("Open of a missing bucket = %v, want ErrNoBucket naming it", err)
	}
}

// TestMultipart: a body longer than a part, from a reader that is not
// seekable and of unknown size, is stored whole as a multipart upload (its
// ETag has S3's "-<parts>" suffix); one shorter than a part with one PUT.
func TestMultipart(t *testing.T) { forConcurrency(t, testMultipart) }

func testMultipart(t *testing.T, concurrency int) {
	s := openTest(t, func(c *Config) { c.Concurrency = concurrency })
	emptyBucket(t, s)
	ctx := context.Background()
	const size = 12<<20 + 123 // 3 parts of 5 MiB, the last short
	info, err := s.Put(ctx, "mp/big", &hookReader{left: size}, storage.PutOptions{ContentType: "application/x-test", Metadata: map[string]string{"K": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != size || !strings.HasSuffix(info.ETag, "-3") {
		t.Fatalf("Put Info = %+v, want size %d and a 3-part ETag", info, size)
	}
	rc, got, err := s.Get(ctx, "mp/big", storage.GetOptions{Offset: 10 << 20, Length: 100})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || len(b) != 100 || b[0] != byte((10<<20)%256) || got.Size != size || got.Metadata["k"] != "v" || got.ContentType != "application/x-test" {
		t.Fatalf("ranged Get = %d bytes (first %d), %+v, %v", len(b), b[0], got, err)
	}
	// a Size hint below the part size: one PUT
	small, err := s.Put(ctx, "mp/small", &hookReader{left: 1 << 20}, storage.PutOptions{Size: 1 << 20})
	if err != nil || strings.Contains(small.ETag, "-") || small.Size != 1<<20 {
		t.Fatalf("small Put = %+v, %v; want a single-PUT ETag", small, err)
	}
}

// TestSignedURLs: presigned GET and PUT URLs work from net/http and curl
// with no credentials; a tampered one is refused with 403.
func TestSignedURLs(t *testing.T) {
	s := openTest(t, nil)
	emptyBucket(t, s)
	ctx := context.Background()
	if _, err := s.Put(ctx, "signed/hello.txt", strings.NewReader("hello, signed"), storage.PutOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	get, err := s.SignedURL(ctx, "signed/hello.txt", http.MethodGet, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpDo(t, http.MethodGet, get, nil); code != 200 || body != "hello, signed" {
		t.Fatalf("GET signed URL = %d %q", code, body)
	}
	tampered := strings.Replace(get, "signed%2Fhello.txt", "signed%2Fother.txt", 1)
	tampered = strings.Replace(tampered, "signed/hello.txt", "signed/other.txt", 1)
	if code, _ := httpDo(t, http.MethodGet, tampered, nil); code != http.StatusForbidden {
		t.Fatalf("GET of a tampered signed URL = %d, want 403", code)
	}
	// keys that need escaping in the URL
	for _, k := range []string{"signed/with space+plus.txt", "signed/ünïcödé/名前.txt", "signed/a..b?x=1&y#z"} {
		if _, err := s.Put(ctx, k, strings.NewReader(k), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		u, err := s.SignedURL(ctx, k, http.MethodGet, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if code, body := httpDo(t, http.MethodGet, u, nil); code != 200 || body != k {
			t.Fatalf("GET signed URL of %q = %d %q", k, code, body)
		}
	}
	put, err := s.SignedURL(ctx, "signed/up.bin", http.MethodPut, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpDo(t, http.MethodPut, put, strings.NewReader("uploaded by net/http")); code != 200 {
		t.Fatalf("PUT signed URL = %d %s", code, body)
	}
	if got := readAll(t, s, "signed/up.bin"); got != "uploaded by net/http" {
		t.Fatalf("object put through the signed URL = %q", got)
	}

	curl := goxtest.RequireBinary(t, "curl", "apt-get install curl")
	out, err := exec.Command(curl, "-sf", get).Output()
	if err != nil || string(out) != "hello, signed" {
		t.Fatalf("curl GET signed URL = %q, %v", out, err)
	}
	f := filepath.Join(t.TempDir(), "up.txt")
	if err := os.WriteFile(f, []byte("uploaded by curl"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(curl, "-sf", "-T", f, put).CombinedOutput(); err != nil {
		t.Fatalf("curl PUT signed URL: %v %s", err, out)
	}
	if got := readAll(t, s, "signed/up.bin"); got != "uploaded by curl" {
		t.Fatalf("object put by curl through the signed URL = %q", got)
	}
}

func httpDo(t *testing.T, method, u string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readAll(t *testing.T, s storage.Store, key string) string {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key, storage.GetOptions{})
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSSES3: with sse.mode s3 objects are stored encrypted by the server
// (it answers x-amz-server-side-encryption: AES256) and read back as written.
func TestSSES3(t *testing.T) {
	s := openTest(t, func(c *Config) { c.SSE.Mode = SSES3 })
	emptyBucket(t, s)
	ctx := context.Background()
	for _, size := range []int{100, 6 << 20} { // single PUT and multipart
		body := bytes.Repeat([]byte("e"), size)
		if _, err := s.Put(ctx, "sse/s3", bytes.NewReader(body), storage.PutOptions{}); err != nil {
			t.Fatalf("Put %d bytes under SSE-S3: %v", size, err)
		}
		oi, err := s.client.StatObject(ctx, s.bucket, "sse/s3", minioStatOpts())
		if err != nil {
			t.Fatal(err)
		}
		if got := oi.Metadata.Get("X-Amz-Server-Side-Encryption"); got != "AES256" {
			t.Fatalf("%d bytes: x-amz-server-side-encryption = %q, want AES256", size, got)
		}
		if got := readAll(t, s, "sse/s3"); got != string(body) {
			t.Fatalf("%d bytes: read back %d bytes", size, len(got))
		}
	}
}

// TestSSEC: with sse.mode c the object is readable with the key and not
// without it, and a signed GET is refused.
func TestSSEC(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	s := openTest(t, func(c *Config) { c.SSE = SSEConfig{Mode: SSEC, CustomerKey: base64.StdEncoding.EncodeToString(key)} })
	emptyBucket(t, s)
	ctx := context.Background()
	for _, size := range []int{100, 6 << 20} {
		body := bytes.Repeat([]byte("c"), size)
		if _, err := s.Put(ctx, "sse/c", bytes.NewReader(body), storage.PutOptions{}); err != nil {
			t.Fatalf("Put %d bytes under SSE-C: %v", size, err)
		}
		if got := readAll(t, s, "sse/c"); got != string(body) {
			t.Fatalf("%d bytes: read back %d bytes with the key", size, len(got))
		}
	}
	plain := openTest(t, nil)
	if rc, _, err := plain.Get(ctx, "sse/c", storage.GetOptions{}); err == nil {
		rc.Close()
		t.Fatal("an SSE-C object was readable without the key")
	} else if !strings.Contains(err.Error(), "customer key") {
		t.Fatalf("Get without the key = %v, want the server's refusal", err)
	}
	if _, err := s.SignedURL(ctx, "sse/c", http.MethodGet, time.Minute); err == nil || !strings.Contains(err.Error(), "SSE-C") {
		t.Fatalf("signed GET under SSE-C = %v, want a refusal", err)
	}
}

func minioStatOpts() minio.StatObjectOptions { return minio.StatObjectOptions{} }
