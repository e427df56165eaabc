package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goxkit/gox/storage"
)

func Example() {
	ctx := context.Background()
	var store storage.Store = storage.NewMemory() // or disk.New(dir), or the S3 store

	_, err := store.Put(ctx, "reports/2026/q4.csv", strings.NewReader("region,total\neu,42\n"),
		storage.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"Author": "ada"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rc, info, err := store.Get(ctx, "reports/2026/q4.csv", storage.GetOptions{Offset: 13})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rc.Close()
	tail, _ := io.ReadAll(rc)
	fmt.Printf("%s, %d bytes, by %s; from byte 13: %q\n", info.ContentType, info.Size, info.Metadata["author"], tail)

	_, err = store.Stat(ctx, "reports/2026/q1.csv")
	fmt.Println(errors.Is(err, storage.ErrNotExist))
	_, err = store.Stat(ctx, "../etc/passwd")
	fmt.Println(err != nil, errors.Is(err, storage.ErrInvalidKey))
	// Output:
	// text/csv, 19 bytes, by ada; from byte 13: "eu,42\n"
	// true
	// true true
}

func ExampleStore_List() {
	ctx := context.Background()
	store := storage.NewMemory()
	for _, k := range []string{"img/a.png", "img/b.png", "img/c.png", "doc/x.pdf"} {
		_, _ = store.Put(ctx, k, strings.NewReader(k), storage.PutOptions{})
	}
	page := storage.Page{Limit: 2}
	for {
		res, err := store.List(ctx, "img/", page)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, it := range res.Items {
			fmt.Println(it.Key, it.Size)
		}
		if res.Next == "" {
			break
		}
		page.Token = res.Next
	}
	// Output:
	// img/a.png 9
	// img/b.png 9
	// img/c.png 9
}
