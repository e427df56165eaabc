package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/goxkit/gox/storage"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// testConcurrentPuts has writers put different contents of one size to one
// key while readers read it: every read is one writer's content, whole, and
// the final object is one of them.
func testConcurrentPuts(t *testing.T, s storage.Store) {
	const writers, size = 8, 256 << 10
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	put(t, s, "hot", string(contents[0]), storage.PutOptions{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for range 4 {
				if _, err := s.Put(ctx, "hot", bytes.NewReader(contents[i]), storage.PutOptions{Metadata: map[string]string{"writer": fmt.Sprint(i)}}); err != nil {
					t.Errorf("writer %d: %v", i, err)
					return
				}
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for range 10 {
				rc, info, err := s.Get(ctx, "hot", storage.GetOptions{})
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				if !whole(b, contents) || int64(len(b)) != info.Size {
					t.Errorf("reader %d read a torn object: %d bytes (Info says %d), first %q last %q", r, len(b), info.Size, b[:1], b[len(b)-1:])
					return
				}
			}
		})
	}
	wg.Wait()
	body, info := get(t, s, "hot", storage.GetOptions{})
	if !whole([]byte(body), contents) {
		t.Fatalf("final object is torn")
	}
	if w := info.Metadata["writer"]; w != "" && body[0] != byte('a'+w[0]-'0') {
		t.Fatalf("final content is writer %c's, metadata says writer %s", body[0], w)
	}
}

func whole(b []byte, contents [][]byte) bool {
	for _, c := range contents {
		if bytes.Equal(b, c) {
			return true
		}
	}
	return false
}

// testLargeObject streams a generated object through Put and Get and checks
// its hash, and that the process allocated far less than the object.
func testLargeObject(t *testing.T, s storage.Store, c config) {
	if testing.Short() {
		t.Skip("large object: not in -short")
	}
	ctx := context.Background()
	src := &pattern{n: c.largeSize}
	want := sha256.New()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := s.Put(ctx, "large/object.bin", io.TeeReader(src, want), storage.PutOptions{Size: c.largeSize})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != c.largeSize {
		t.Fatalf("Put Info.Size = %d, want %d", info.Size, c.largeSize)
	}
	rc, _, err := s.Get(ctx, "large/object.bin", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.CopyBuffer(got, rc, make([]byte, 32<<10))
	rc.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != c.largeSize {
		t.Fatalf("Get read %d bytes, %v; want %d", n, err, c.largeSize)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("large object: content read differs from content put")
	}
	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("put and got %d MiB; allocated %.1f MiB", c.largeSize>>20, float64(alloc)/(1<<20))
	if !c.skipLargeMem && alloc > c.largeAlloc {
		t.Fatalf("streaming %d bytes allocated %d bytes, more than %d: the object is buffered", c.largeSize, alloc, c.largeAlloc)
	}
}

// pattern yields n bytes of a non-repeating-looking pattern.
type pattern struct {
	n, off int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x ^ x>>8 ^ x>>17)
	}
	p.off += int64(len(b))
	return len(b), nil
}
