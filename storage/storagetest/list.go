package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/goxkit/gox/storage"
)

// listAll lists prefix page by page and returns the keys.
func listAll(t *testing.T, s storage.Store, prefix string, limit int) []string {
	t.Helper()
	var keys []string
	page := storage.Page{Limit: limit}
	for i := 0; ; i++ {
		res, err := s.List(context.Background(), prefix, page)
		if err != nil {
			t.Fatalf("List(%q, %+v): %v", prefix, page, err)
		}
		if limit > 0 && len(res.Items) > limit {
			t.Fatalf("List(%q) returned %d items, over the limit %d", prefix, len(res.Items), limit)
		}
		for _, it := range res.Items {
			keys = append(keys, it.Key)
		}
		if res.Next == "" {
			return keys
		}
		if i > 100000 {
			t.Fatalf("List(%q) never ends", prefix)
		}
		page.Token = res.Next
	}
}

func assertKeys(t *testing.T, s storage.Store, prefix string, want ...string) {
	t.Helper()
	got := listAll(t, s, prefix, 0)
	if !slices.Equal(got, want) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func testList(t *testing.T, s storage.Store) {
	assertKeys(t, s, "")
	for _, k := range []string{"photos/2024/b.jpg", "photos/2024/a.jpg", "photos/2025/c.jpg", "docs/x", "photosynthesis", "p"} {
		put(t, s, k, k, storage.PutOptions{ContentType: "image/jpeg"})
	}
	assertKeys(t, s, "", "docs/x", "p", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photosynthesis")
	assertKeys(t, s, "photos/", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg")
	assertKeys(t, s, "photos", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photosynthesis")
	assertKeys(t, s, "photos/2024/a", "photos/2024/a.jpg")
	assertKeys(t, s, "photos/2024/a.jpg", "photos/2024/a.jpg")
	assertKeys(t, s, "nothing")
	assertKeys(t, s, "photos/2026")
	res, err := s.List(context.Background(), "photos/2025/", storage.Page{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("List = %+v, %v", res, err)
	}
	if it := res.Items[0]; it.Size != int64(len("photos/2025/c.jpg")) || it.ETag == "" || it.ModTime.IsZero() {
		t.Fatalf("listed Info = %+v, want size, ETag and ModTime", it)
	}
	if err := s.Delete(context.Background(), "photos/2025/c.jpg"); err != nil {
		t.Fatal(err)
	}
	assertKeys(t, s, "photos/", "photos/2024/a.jpg", "photos/2024/b.jpg")
}

func testListPages(t *testing.T, s storage.Store) {
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("p/%02d", i)
		want = append(want, k)
		put(t, s, k, "x", storage.PutOptions{})
	}
	put(t, s, "q", "x", storage.PutOptions{})
	for _, limit := range []int{1, 2, 7, 25, 26, 0, storage.MaxPageLimit + 5} {
		if got := listAll(t, s, "p/", limit); !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %q", limit, got)
		}
	}
	res, err := s.List(context.Background(), "p/", storage.Page{Limit: 10})
	if err != nil || len(res.Items) != 10 || res.Next == "" {
		t.Fatalf("first page of 10: %d items, next %q, %v", len(res.Items), res.Next, err)
	}
}

func testListOrder(t *testing.T, s storage.Store) {
	// byte order of whole keys: '.' (0x2e) < '/' (0x2f) < '0' (0x30), so
	// "a.txt" comes before "a/b" though a directory walk meets "a" first
	// (no key is both an object and the "directory" of others: a disk
	// store cannot have both "a" and "a/b")
	keys := []string{"a/b", "a.txt", "a0", "a/a/z", "a-b", "B", "ab/c", "é"}
	for _, k := range keys {
		put(t, s, k, k, storage.PutOptions{})
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	for _, limit := range []int{1, 3, 0} {
		if got := listAll(t, s, "", limit); !slices.Equal(got, want) {
			t.Fatalf("List with pages of %d = %q, want byte order %q", limit, got, want)
		}
	}
}

func testListInvalidToken(t *testing.T, s storage.Store) {
	_, err := s.List(context.Background(), "", storage.Page{Token: "%%% not a token"})
	wantErr(t, "List with a made-up token", err, storage.ErrInvalidToken)
	_, err = s.List(context.Background(), "bad\x00prefix", storage.Page{})
	wantErr(t, "List with a NUL in the prefix", err, storage.ErrInvalidKey)
}

// testListWhileWriting pages through keys that exist throughout while other
// keys come and go: each stable key is listed exactly once.
func testListWhileWriting(t *testing.T, s storage.Store) {
	var stable []string
	for i := range 40 {
		k := fmt.Sprintf("l/%02d", i*2)
		stable = append(stable, k)
		put(t, s, k, "s", storage.PutOptions{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			k := fmt.Sprintf("l/%02d", (i%40)*2+1)
			if _, err := s.Put(ctx, k, stringsReader("churn"), storage.PutOptions{}); err != nil && ctx.Err() == nil {
				t.Errorf("churn Put: %v", err)
				return
			}
			if i%3 == 0 {
				_ = s.Delete(ctx, k)
			}
		}
	})
	for round := 0; round < 5; round++ {
		got := listAll(t, s, "l/", 3)
		var seen []string
		for _, k := range got {
			if slices.Contains(stable, k) {
				seen = append(seen, k)
			}
		}
		if !slices.Equal(seen, stable) {
			cancel()
			wg.Wait()
			t.Fatalf("round %d: stable keys listed %q, want each once: %q", round, seen, stable)
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("round %d: listing not strictly ascending: %q", round, got)
		}
	}
	cancel()
	wg.Wait()
}
