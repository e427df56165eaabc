package storagehttp_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/storage"
	"github.com/goxkit/gox/storage/disk"
	"github.com/goxkit/gox/storage/storagehttp"
	xhttp "github.com/goxkit/gox/transport/http"
)

// png is the start of a PNG file: enough for http.DetectContentType.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 2000)...)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	url   string
	store *disk.Store
	clock *fakeClock
}

// serve starts a real gox HTTP server on 127.0.0.1 with the helpers'
// routes over a disk store.
func serve(t *testing.T) *fixture {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + lis.Addr().String()
	clock := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	signer, err := storage.NewURLSigner(bytes.Repeat([]byte("s"), 32), base+"/signed", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	store, err := disk.New(t.TempDir(), disk.WithSigning(signer), disk.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := xhttp.NewServer(xhttp.Config{Addr: lis.Addr().String()}, xhttp.WithListener(lis))
	if err != nil {
		t.Fatal(err)
	}
	key := storagehttp.PathKey("key")
	up := storagehttp.UploadOptions{MaxSize: 64 << 10, AllowedTypes: []string{"image/*", "application/pdf"}}
	down := storagehttp.DownloadOptions{Attachment: true}
	srv.PUT("/files/*key", storagehttp.Upload(store, key, up))
	srv.POST("/files/*key", storagehttp.Upload(store, key, up))
	srv.GET("/files/*key", storagehttp.Download(store, key, down))
	srv.Handle(http.MethodHead, "/files/*key", storagehttp.Download(store, key, down))
	signed := storagehttp.Signed(store, signer, "key", up, down)
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut} {
		srv.Handle(m, "/signed/*key", signed)
	}
	goxtest.Serve(t, srv)
	return &fixture{url: base, store: store, clock: clock}
}

func request(t *testing.T, method, url string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// files returns the files in the store's directory.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestUploadAndDownload(t *testing.T) {
	f := serve(t)
	// the client claims text/plain; the sniffed type is stored
	resp, body := request(t, "PUT", f.url+"/files/avatars/ada.png", bytes.NewReader(png), "Content-Type", "text/plain")
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var up storagehttp.Uploaded
	if err := json.Unmarshal([]byte(body), &up); err != nil || up.Key != "avatars/ada.png" || up.Size != int64(len(png)) || up.ContentType != "image/png" {
		t.Fatalf("upload answer %s (%v)", body, err)
	}
	resp, body = request(t, "GET", f.url+"/files/avatars/ada.png", nil)
	h := resp.Header
	if resp.StatusCode != 200 || body != string(png) || h.Get("Content-Type") != "image/png" || h.Get("ETag") != `"`+up.ETag+`"` ||
		h.Get("Content-Disposition") != `attachment; filename=ada.png` || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %v (%d bytes)", resp.StatusCode, h, len(body))
	}
	etag := h.Get("ETag")
	resp, body = request(t, "GET", f.url+"/files/avatars/ada.png", nil, "If-None-Match", `"x", `+etag)
	if resp.StatusCode != 304 || body != "" {
		t.Fatalf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	resp, body = request(t, "GET", f.url+"/files/avatars/ada.png", nil, "Range", "bytes=1-3")
	if resp.StatusCode != 206 || body != "PNG" || resp.Header.Get("Content-Range") != "bytes 1-3/2016" {
		t.Fatalf("Range: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = request(t, "GET", f.url+"/files/avatars/ada.png", nil, "Range", "bytes=-2")
	if resp.StatusCode != 206 || body != "\x07\x07" {
		t.Fatalf("suffix Range: %d %q", resp.StatusCode, body)
	}
	resp, _ = request(t, "GET", f.url+"/files/avatars/ada.png", nil, "Range", "bytes=1-3", "If-Range", `"stale"`)
	if resp.StatusCode != 200 {
		t.Fatalf("If-Range with a stale ETag: %d, want the whole object", resp.StatusCode)
	}
	resp, body = request(t, "GET", f.url+"/files/avatars/ada.png", nil, "Range", "bytes=5000-")
	if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != "bytes */2016" || !strings.Contains(body, storage.ReasonInvalidRange) {
		t.Fatalf("Range past the end: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = request(t, "HEAD", f.url+"/files/avatars/ada.png", nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len(png)) {
		t.Fatalf("HEAD: %d %d %q", resp.StatusCode, resp.ContentLength, body)
	}
	resp, body = request(t, "GET", f.url+"/files/avatars/nobody.png", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, storage.ReasonNotExist) {
		t.Fatalf("missing: %d %s", resp.StatusCode, body)
	}
	resp, body = request(t, "GET", f.url+"/files/a/%2e%2e/%2e%2e/etc/passwd", nil)
	if resp.StatusCode != 400 && resp.StatusCode != 404 {
		t.Fatalf("dot-dot key: %d %s", resp.StatusCode, body)
	}
}

func TestMultipartUpload(t *testing.T) {
	f := serve(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("title", "a document")
	fw, _ := mw.CreateFormFile("file", "report.pdf")
	_, _ = fw.Write([]byte("%PDF-1.7\n" + strings.Repeat("x", 3000)))
	_ = mw.Close()
	resp, body := request(t, "POST", f.url+"/files/docs/report.pdf", &buf, "Content-Type", mw.FormDataContentType())
	if resp.StatusCode != 201 || !strings.Contains(body, `"content_type":"application/pdf"`) {
		t.Fatalf("multipart upload: %d %s", resp.StatusCode, body)
	}
	info, err := f.store.Stat(t.Context(), "docs/report.pdf")
	if err != nil || info.Size != 3009 {
		t.Fatalf("stored: %+v %v", info, err)
	}
}

func TestUploadRefusals(t *testing.T) {
	f := serve(t)
	big := append(append([]byte(nil), png...), make([]byte, 70<<10)...)
	cases := []struct {
		name   string
		body   io.Reader
		status int
		reason string
	}{
		{"over the limit, with Content-Length", bytes.NewReader(big), 413, storage.ReasonTooLarge},
		{"over the limit, chunked", io.MultiReader(bytes.NewReader(big)), 413, storage.ReasonTooLarge},
		{"text claiming to be an image", strings.NewReader("just some text"), 415, storagehttp.ReasonUnsupportedType},
		{"html", strings.NewReader("<html><script>alert(1)</script>"), 415, storagehttp.ReasonUnsupportedType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := request(t, "PUT", f.url+"/files/x/upload.png", tc.body, "Content-Type", "image/png")
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.reason) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.reason)
			}
			if left := files(t, f.store.Dir()); len(left) != 0 {
				t.Fatalf("left behind: %q", left)
			}
		})
	}
	resp, body := request(t, "PUT", f.url+"/files/bad%00key", bytes.NewReader(png))
	if resp.StatusCode != 400 || !strings.Contains(body, storage.ReasonInvalidKey) {
		t.Fatalf("NUL in key: %d %s", resp.StatusCode, body)
	}
}

func TestSignedURLs(t *testing.T) {
	f := serve(t)
	ctx := t.Context()
	if _, err := f.store.Put(ctx, "private/doc.pdf", strings.NewReader("%PDF-1.4 secret"), storage.PutOptions{ContentType: "application/pdf"}); err != nil {
		t.Fatal(err)
	}
	get, err := f.store.SignedURL(ctx, "private/doc.pdf", "GET", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := request(t, "GET", get, nil); resp.StatusCode != 200 || body != "%PDF-1.4 secret" {
		t.Fatalf("signed GET: %d %s", resp.StatusCode, body)
	}
	if resp, _ := request(t, "HEAD", get, nil); resp.StatusCode != 200 {
		t.Fatalf("signed HEAD: %d", resp.StatusCode)
	}
	forbidden := func(name, url, method, reason string) {
		t.Helper()
		resp, body := request(t, method, url, strings.NewReader("%PDF-1.4 evil"))
		if resp.StatusCode != 403 || !strings.Contains(body, reason) {
			t.Fatalf("%s: %d %s, want 403 %s", name, resp.StatusCode, body, reason)
		}
	}
	forbidden("other key", strings.Replace(get, "doc.pdf", "other.pdf", 1), "GET", storage.ReasonSignatureInvalid)
	forbidden("tampered signature", get[:len(get)-1]+"0", "GET", storage.ReasonSignatureInvalid)
	forbidden("later expiry", strings.Replace(get, "X-Gox-Expires=17", "X-Gox-Expires=27", 1), "GET", storage.ReasonSignatureInvalid)
	forbidden("unsigned", f.url+"/signed/private/doc.pdf", "GET", storage.ReasonSignatureInvalid)
	forbidden("GET URL used to PUT", get, "PUT", storage.ReasonSignatureInvalid)
	put, err := f.store.SignedURL(ctx, "incoming/new.pdf", "PUT", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := request(t, "PUT", put, strings.NewReader("%PDF-1.4 uploaded")); resp.StatusCode != 201 {
		t.Fatalf("signed PUT: %d %s", resp.StatusCode, body)
	}
	f.clock.Add(time.Minute)
	forbidden("expired", get, "GET", storage.ReasonSignatureExpired)
	forbidden("expired PUT", put, "PUT", storage.ReasonSignatureExpired)
}

// TestCurl talks to the helpers with curl, a client gox did not write.
func TestCurl(t *testing.T) {
	curl := goxtest.RequireBinary(t, "curl", "apt-get install curl (ci/tools.sh installs it)")
	f := serve(t)
	src := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(src, png, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("-F", "file=@"+src+";type=text/plain", "-w", "%{http_code}", f.url+"/files/curl/photo.png"); !strings.HasSuffix(out, "201") || !strings.Contains(out, "image/png") {
		t.Fatalf("curl upload: %s", out)
	}
	hdr := run("-D", "-", "-o", "/dev/null", "-r", "0-7", f.url+"/files/curl/photo.png")
	if !strings.Contains(hdr, "HTTP/1.1 206") || !strings.Contains(hdr, "Content-Range: bytes 0-7/2016") || !strings.Contains(hdr, "Content-Length: 8") {
		t.Fatalf("curl range: %s", hdr)
	}
	if out := run("-r", "0-7", f.url+"/files/curl/photo.png"); out != string(png[:8]) {
		t.Fatalf("curl range body %q", out)
	}
	dst := filepath.Join(t.TempDir(), "got")
	run("-f", "-o", dst, f.url+"/files/curl/photo.png")
	if b, _ := os.ReadFile(dst); !bytes.Equal(b, png) {
		t.Fatal("curl download differs")
	}
	big := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(big, append(append([]byte(nil), png...), make([]byte, 100<<10)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run("-o", "/dev/null", "-w", "%{http_code}", "-T", big, f.url+"/files/curl/big.png"); out != "413" {
		t.Fatalf("curl upload over the limit: %s", out)
	}
	if _, err := f.store.Stat(t.Context(), "curl/big.png"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("the refused upload was stored: %v", err)
	}
	if left := files(t, f.store.Dir()); len(left) != 1 {
		t.Fatalf("files: %q, want only curl/photo.png", left)
	}
}
