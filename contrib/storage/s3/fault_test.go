package s3

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/storage"
)

// hookReader yields size bytes (not seekable) and calls at once when the
// first mark bytes were read.
type hookReader struct {
	left, read, mark int64
	at               func()
}

func (h *hookReader) Read(p []byte) (int, error) {
	if h.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	for i := range p {
		p[i] = byte(h.read + int64(i))
	}
	if h.at != nil && h.read+int64(len(p)) >= h.mark {
		h.at()
		h.at = nil
	}
	h.left -= int64(len(p))
	h.read += int64(len(p))
	return len(p), nil
}

// incomplete lists the multipart uploads in progress under prefix, asking
// the server directly.
func incomplete(t *testing.T, s *Store, prefix string) []minio.ObjectMultipartInfo {
	t.Helper()
	var out []minio.ObjectMultipartInfo
	for u := range s.client.ListIncompleteUploads(context.Background(), s.bucket, prefix, true) {
		if u.Err != nil {
			t.Fatalf("ListIncompleteUploads: %v", u.Err)
		}
		out = append(out, u)
	}
	return out
}

// viaProxy opens a Store reaching the test server through a proxy, with no
// retries, so that a cut fails the request it hits.
func viaProxy(t *testing.T, concurrency int) (*Store, *goxtest.Proxy) {
	t.Helper()
	u, err := url.Parse(testConfig(t).Endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("S3_ENDPOINT %q is not a URL", testConfig(t).Endpoint)
	}
	p := goxtest.NewProxy(t, u.Host)
	s := openTest(t, func(c *Config) {
		c.Endpoint = "http://" + p.Addr()
		c.MaxRetries = 1
		c.Timeout = 10 * time.Second
		c.Concurrency = concurrency
	})
	return s, p
}

// TestConnectionCutMidUpload: the connection to the server drops while the
// second part of a 20 MiB upload is on the wire. Put fails with
// ErrUnavailable, aborts its multipart upload (the server is reachable
// again), and leaves nothing: no object, no upload with parts on the server.
func TestConnectionCutMidUpload(t *testing.T) { forConcurrency(t, testConnectionCutMidUpload) }

func testConnectionCutMidUpload(t *testing.T, concurrency int) {
	direct := openTest(t, nil)
	emptyBucket(t, direct)
	s, p := viaProxy(t, concurrency)
	const key = "faults/cut.bin"
	r := &hookReader{left: 20 << 20, mark: 7 << 20, at: func() { p.CutAfter(1 << 20) }}
	_, err := s.Put(context.Background(), key, r, storage.PutOptions{})
	if !stderrors.Is(err, ErrUnavailable) {
		t.Fatalf("Put with the connection cut = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "could not be aborted") {
		t.Fatalf("the abort failed although the server was reachable: %v", err)
	}
	if ups := incomplete(t, direct, "faults/"); len(ups) != 0 {
		t.Fatalf("incomplete uploads left: %+v", ups)
	}
	if _, err := direct.Stat(context.Background(), key); !stderrors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat after the failed Put = %v, want ErrNotExist", err)
	}
}

// TestServerDownMidUpload: the server goes away while the second part is
// read and stays away for the abort. Put fails with ErrUnavailable, and the
// error says the upload could not be aborted and names it. When the server
// is back, the upload is there; AbortIncomplete leaves a young upload alone
// and removes it once it is older than asked (a fake clock), and then
// nothing remains.
func TestServerDownMidUpload(t *testing.T) { forConcurrency(t, testServerDownMidUpload) }

func testServerDownMidUpload(t *testing.T, concurrency int) {
	direct := openTest(t, nil)
	emptyBucket(t, direct)
	s, p := viaProxy(t, concurrency)
	const key = "faults/down.bin"
	r := &hookReader{left: 20 << 20, mark: 7 << 20, at: p.Down}
	_, err := s.Put(context.Background(), key, r, storage.PutOptions{})
	if !stderrors.Is(err, ErrUnavailable) {
		t.Fatalf("Put with the server down = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "could not be aborted") {
		t.Fatalf("the error does not say the upload was left: %v", err)
	}
	p.Up()
	ups := incomplete(t, direct, "faults/")
	if len(ups) != 1 || ups[0].Key != key || !strings.Contains(err.Error(), ups[0].UploadID) {
		t.Fatalf("incomplete uploads = %+v; want the one upload of %q, named in %v", ups, key, err)
	}
	ctx := context.Background()
	if n, err := s.AbortIncomplete(ctx, "faults/", time.Hour); err != nil || n != 0 {
		t.Fatalf("AbortIncomplete(older than 1h) = %d, %v; want 0: the upload is seconds old", n, err)
	}
	s.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n, err := s.AbortIncomplete(ctx, "faults/", time.Hour); err != nil || n != 1 {
		t.Fatalf("AbortIncomplete two hours later = %d, %v; want 1", n, err)
	}
	if ups := incomplete(t, direct, "faults/"); len(ups) != 0 {
		t.Fatalf("incomplete uploads left after AbortIncomplete: %+v", ups)
	}
	if _, err := direct.Stat(ctx, key); !stderrors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat after the failed Put = %v, want ErrNotExist", err)
	}
	// and the Store works again
	if _, err := s.Put(ctx, key, bytes.NewReader([]byte("back")), storage.PutOptions{}); err != nil {
		t.Fatalf("Put after the server came back: %v", err)
	}
}

// TestMaxSizeMidMultipart: a body over MaxSize found in the third part fails
// with ErrTooLarge and aborts the upload.
func TestMaxSizeMidMultipart(t *testing.T) {
	s := openTest(t, nil)
	emptyBucket(t, s)
	_, err := s.Put(context.Background(), "big/over", &hookReader{left: 14 << 20}, storage.PutOptions{MaxSize: 12 << 20})
	if !stderrors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("Put over MaxSize = %v, want ErrTooLarge", err)
	}
	if ups := incomplete(t, s, "big/"); len(ups) != 0 {
		t.Fatalf("incomplete uploads left: %+v", ups)
	}
}

// TestCanceledMidMultipart: a Put whose context is cancelled while the
// second part is read fails with context.Canceled and aborts the upload,
// although its own context is done.
func TestCanceledMidMultipart(t *testing.T) { forConcurrency(t, testCanceledMidMultipart) }

func testCanceledMidMultipart(t *testing.T, concurrency int) {
	s := openTest(t, func(c *Config) { c.Concurrency = concurrency })
	emptyBucket(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Put(ctx, "cancel/mid", &hookReader{left: 20 << 20, mark: 7 << 20, at: cancel}, storage.PutOptions{})
	if !stderrors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled mid-upload = %v, want context.Canceled", err)
	}
	if ups := incomplete(t, s, "cancel/"); len(ups) != 0 {
		t.Fatalf("incomplete uploads left: %+v", ups)
	}
	if _, err := s.Stat(context.Background(), "cancel/mid"); !stderrors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat after the cancelled Put = %v, want ErrNotExist", err)
	}
}

// forConcurrency runs test with one part at a time and with three in flight.
func forConcurrency(t *testing.T, test func(t *testing.T, concurrency int)) {
	for _, c := range []int{1, 3} {
		t.Run(fmt.Sprintf("concurrency=%d", c), func(t *testing.T) { test(t, c) })
	}
}
