package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/goxkit/gox/storage"
)

func put(t *testing.T, s storage.Store, key, content string, opts storage.PutOptions) storage.Info {
	t.Helper()
	info, err := s.Put(context.Background(), key, strings.NewReader(content), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func get(t *testing.T, s storage.Store, key string, opts storage.GetOptions) (string, storage.Info) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key, opts)
	if err != nil {
		t.Fatalf("Get(%q, %+v): %v", key, opts, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): reading: %v", key, err)
	}
	return string(b), info
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func testPutGet(t *testing.T, s storage.Store) {
	opts := storage.PutOptions{
		ContentType: "text/plain; charset=utf-8",
		Metadata:    map[string]string{"Owner": "ada", "x-trace": "abc 123"},
	}
	pinfo := put(t, s, "docs/readme.txt", "hello, storage", opts)
	body, info := get(t, s, "docs/readme.txt", storage.GetOptions{})
	if body != "hello, storage" {
		t.Fatalf("Get body = %q", body)
	}
	for _, i := range []storage.Info{pinfo, info} {
		if i.Key != "docs/readme.txt" || i.Size != 14 || i.ContentType != opts.ContentType || i.ETag == "" || i.ModTime.IsZero() {
			t.Fatalf("Info = %+v, want key, size 14, content type, an ETag and a ModTime", i)
		}
		if len(i.Metadata) != 2 || i.Metadata["owner"] != "ada" || i.Metadata["x-trace"] != "abc 123" {
			t.Fatalf("Metadata = %v, want the given entries with lower-cased keys", i.Metadata)
		}
	}
	if pinfo.ETag != info.ETag {
		t.Fatalf("ETag of Put %q != ETag of Get %q", pinfo.ETag, info.ETag)
	}
	// the caller's map is not the stored one
	opts.Metadata["Owner"] = "eve"
	info.Metadata["owner"] = "eve"
	if _, again := get(t, s, "docs/readme.txt", storage.GetOptions{}); again.Metadata["owner"] != "ada" {
		t.Fatalf("stored metadata changed through a caller's map: %v", again.Metadata)
	}
	// no content type given: the default
	if i := put(t, s, "bin", "\x00\x01", storage.PutOptions{}); i.ContentType != storage.DefaultContentType {
		t.Fatalf("ContentType without one given = %q, want %q", i.ContentType, storage.DefaultContentType)
	}
	// valid unusual keys
	for _, k := range []string{"a..b", ".profile", "ünïcödé/名前.txt", "with space/and+plus", longKey()} {
		put(t, s, k, k, storage.PutOptions{})
		if body, _ := get(t, s, k, storage.GetOptions{}); body != k {
			t.Fatalf("key %q: body %q", k, body)
		}
	}
}

func testOverwrite(t *testing.T, s storage.Store) {
	first := put(t, s, "k", "first", storage.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"v": "1"}})
	second := put(t, s, "k", "second!", storage.PutOptions{ContentType: "text/csv"})
	body, info := get(t, s, "k", storage.GetOptions{})
	if body != "second!" || info.Size != 7 || info.ContentType != "text/csv" || len(info.Metadata) != 0 {
		t.Fatalf("after overwrite: %q %+v", body, info)
	}
	if first.ETag == second.ETag {
		t.Fatalf("ETag did not change with the content: %q", first.ETag)
	}
}

func testEmptyObject(t *testing.T, s storage.Store) {
	put(t, s, "empty", "", storage.PutOptions{})
	body, info := get(t, s, "empty", storage.GetOptions{})
	if body != "" || info.Size != 0 {
		t.Fatalf("empty object: %q %+v", body, info)
	}
	_, _, err := s.Get(context.Background(), "empty", storage.GetOptions{Offset: 1})
	wantErr(t, "Get(empty, offset 1)", err, storage.ErrInvalidRange)
}

func testStat(t *testing.T, s storage.Store) {
	p := put(t, s, "a/b/c.json", `{"x":1}`, storage.PutOptions{ContentType: "application/json", Metadata: map[string]string{"k": "v"}})
	info, err := s.Stat(context.Background(), "a/b/c.json")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != p.Key || info.Size != 7 || info.ETag != p.ETag || info.ContentType != "application/json" || info.Metadata["k"] != "v" {
		t.Fatalf("Stat = %+v, Put said %+v", info, p)
	}
	if !info.ModTime.Equal(p.ModTime) && info.ModTime.Sub(p.ModTime).Abs().Seconds() > 1 {
		t.Fatalf("Stat ModTime %v far from Put's %v", info.ModTime, p.ModTime)
	}
}

func testRanges(t *testing.T, s storage.Store) {
	const content = "0123456789"
	put(t, s, "r", content, storage.PutOptions{})
	for _, tc := range []struct {
		off, n int64
		want   string
	}{
		{0, 0, content}, {3, 0, "3456789"}, {3, 4, "3456"}, {0, 1, "0"},
		{9, 0, "9"}, {9, 5, "9"}, {5, 100, "56789"}, {0, -1, content},
	} {
		body, info := get(t, s, "r", storage.GetOptions{Offset: tc.off, Length: tc.n})
		if body != tc.want {
			t.Errorf("range offset %d length %d: got %q, want %q", tc.off, tc.n, body, tc.want)
		}
		if info.Size != 10 {
			t.Errorf("range offset %d length %d: Info.Size %d, want the whole object's 10", tc.off, tc.n, info.Size)
		}
	}
	for _, off := range []int64{10, 11, 1 << 40, -1} {
		_, _, err := s.Get(context.Background(), "r", storage.GetOptions{Offset: off})
		wantErr(t, "Get past the end", err, storage.ErrInvalidRange)
	}
}

func testNotExist(t *testing.T, s storage.Store) {
	ctx := context.Background()
	_, _, err := s.Get(ctx, "missing/file", storage.GetOptions{})
	wantErr(t, "Get", err, storage.ErrNotExist)
	if !strings.Contains(err.Error(), "missing/file") {
		t.Errorf("Get error %q does not name the key", err)
	}
	_, err = s.Stat(ctx, "missing/file")
	wantErr(t, "Stat", err, storage.ErrNotExist)
	// a "directory" of other keys is not an object
	put(t, s, "dir/file", "x", storage.PutOptions{})
	_, err = s.Stat(ctx, "dir")
	wantErr(t, "Stat of a key prefix", err, storage.ErrNotExist)
	_, _, err = s.Get(ctx, "dir", storage.GetOptions{})
	wantErr(t, "Get of a key prefix", err, storage.ErrNotExist)
}

func testDelete(t *testing.T, s storage.Store) {
	ctx := context.Background()
	put(t, s, "x/y", "1", storage.PutOptions{})
	put(t, s, "x/z", "2", storage.PutOptions{})
	if err := s.Delete(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stat(ctx, "x/y")
	wantErr(t, "Stat after Delete", err, storage.ErrNotExist)
	if body, _ := get(t, s, "x/z", storage.GetOptions{}); body != "2" {
		t.Fatalf("a neighbour of the deleted key changed: %q", body)
	}
	if err := s.Delete(ctx, "x/y"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	if err := s.Delete(ctx, "never/was"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	if err := s.Delete(ctx, "x/z"); err != nil {
		t.Fatal(err)
	}
	// a key can be put again where a deleted one was
	put(t, s, "x/y", "again", storage.PutOptions{})
	if body, _ := get(t, s, "x/y", storage.GetOptions{}); body != "again" {
		t.Fatalf("put after delete: %q", body)
	}
}

// InvalidKeys are keys every Store refuses with storage.ErrInvalidKey.
var InvalidKeys = []string{
	"", "/abs", "/", "a/", "a//b", "..", "../x", "a/../b", "a/..", ".", "./a", "a/./b",
	"nul\x00byte", "tab\tkey", "new\nline", "del\x7f", "c1\u0085", `back\slash`, `..\..\x`,
	"bad-utf8-\xff", strings.Repeat("k", storage.MaxKeyLen+1),
	strings.Repeat("s", storage.MaxSegmentLen+1),
}

// longKey is a valid key of MaxKeyLen bytes.
func longKey() string {
	seg := strings.Repeat("s", 200)
	k := seg + "/" + seg + "/" + seg + "/" + seg + "/"
	return k + strings.Repeat("t", storage.MaxKeyLen-len(k))
}

func testInvalidKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, k := range InvalidKeys {
		_, err := s.Put(ctx, k, strings.NewReader("x"), storage.PutOptions{})
		wantErr(t, "Put("+strings.ToValidUTF8(k, "?")+")", err, storage.ErrInvalidKey)
		_, _, err = s.Get(ctx, k, storage.GetOptions{})
		wantErr(t, "Get", err, storage.ErrInvalidKey)
		_, err = s.Stat(ctx, k)
		wantErr(t, "Stat", err, storage.ErrInvalidKey)
		wantErr(t, "Delete", s.Delete(ctx, k), storage.ErrInvalidKey)
	}
	res, err := s.List(ctx, "", storage.Page{})
	if err != nil || len(res.Items) != 0 {
		t.Fatalf("after invalid Puts, List = %+v, %v; want nothing stored", res.Items, err)
	}
}

func testInvalidMetadata(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, opts := range []storage.PutOptions{
		{Metadata: map[string]string{"": "v"}},
		{Metadata: map[string]string{"bad key": "v"}},
		{Metadata: map[string]string{"k": "line\nbreak"}},
		{Metadata: map[string]string{"k": "ünï"}},
		{Metadata: map[string]string{"K": "1", "k": "2"}},
		{Metadata: map[string]string{"k": strings.Repeat("v", storage.MaxMetadataBytes)}},
		{ContentType: "text/plain\r\nX-Evil: 1"},
	} {
		_, err := s.Put(ctx, "m", strings.NewReader("x"), opts)
		wantErr(t, "Put with bad metadata", err, storage.ErrInvalidMetadata)
	}
	_, err := s.Stat(ctx, "m")
	wantErr(t, "Stat after refused Puts", err, storage.ErrNotExist)
}

func testMaxSize(t *testing.T, s storage.Store) {
	ctx := context.Background()
	put(t, s, "limited", "old", storage.PutOptions{})
	_, err := s.Put(ctx, "limited", strings.NewReader("0123456789"), storage.PutOptions{MaxSize: 9})
	wantErr(t, "Put over MaxSize", err, storage.ErrTooLarge)
	if body, _ := get(t, s, "limited", storage.GetOptions{}); body != "old" {
		t.Fatalf("a Put over MaxSize changed the object: %q", body)
	}
	_, err = s.Put(ctx, "new", strings.NewReader("0123456789"), storage.PutOptions{MaxSize: 9})
	wantErr(t, "Put over MaxSize", err, storage.ErrTooLarge)
	assertKeys(t, s, "", "limited")
	// exactly at the limit is fine
	put(t, s, "limited", "0123456789", storage.PutOptions{MaxSize: 10})
}

var errBroken = errors.New("storagetest: the reader broke")

func testFailedReader(t *testing.T, s storage.Store) {
	ctx := context.Background()
	put(t, s, "kept", "old", storage.PutOptions{})
	for _, key := range []string{"kept", "fresh/new"} {
		r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), 100<<10)), iotest.ErrReader(errBroken))
		_, err := s.Put(ctx, key, r, storage.PutOptions{})
		wantErr(t, "Put from a failing reader", err, errBroken)
	}
	if body, _ := get(t, s, "kept", storage.GetOptions{}); body != "old" {
		t.Fatalf("a failed Put changed the object: %q", body)
	}
	assertKeys(t, s, "", "kept")
}

func testCanceledContext(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Put(ctx, "c", strings.NewReader("x"), storage.PutOptions{})
	wantErr(t, "Put with a cancelled context", err, context.Canceled)
	put(t, s, "c", "x", storage.PutOptions{})
	// a Put whose context is cancelled mid-stream stores nothing
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: bytes.NewReader(make([]byte, 1<<20)), n: 64 << 10, cancel: cancel}
	_, err = s.Put(ctx, "c", r, storage.PutOptions{})
	wantErr(t, "Put cancelled mid-stream", err, context.Canceled)
	if body, _ := get(t, s, "c", storage.GetOptions{}); body != "x" {
		t.Fatalf("a cancelled Put changed the object: %d bytes", len(body))
	}
}

// cancelAfter cancels its context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}
