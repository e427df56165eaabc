package storagehttp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/goxkit/gox/storage/disk"
	"github.com/goxkit/gox/storage/storagehttp"
	xhttp "github.com/goxkit/gox/transport/http"
)

// A service storing images on local disk: PUT uploads (at most 1 MiB,
// images only, type sniffed), GET downloads with ranges.
func Example() {
	dir, _ := os.MkdirTemp("", "files")
	defer os.RemoveAll(dir)
	store, err := disk.New(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv, err := xhttp.NewServer(xhttp.Config{Addr: lis.Addr().String()}, xhttp.WithListener(lis))
	if err != nil {
		fmt.Println(err)
		return
	}
	key := storagehttp.PathKey("key")
	srv.PUT("/files/*key", storagehttp.Upload(store, key, storagehttp.UploadOptions{
		MaxSize: 1 << 20, AllowedTypes: []string{"image/*"},
	}))
	srv.GET("/files/*key", storagehttp.Download(store, key, storagehttp.DownloadOptions{}))
	go func() { _ = srv.Start(context.Background()) }()
	defer srv.Stop(context.Background())
	base := "http://" + lis.Addr().String() + "/files/"

	gif := []byte("GIF89a tiny image")
	req, _ := http.NewRequest("PUT", base+"avatars/ada.gif", bytes.NewReader(gif))
	req.Header.Set("Content-Type", "text/plain") // ignored: the content is sniffed
	show(http.DefaultClient.Do(req))

	req, _ = http.NewRequest("PUT", base+"avatars/eve.gif", bytes.NewReader([]byte("<html>not an image")))
	show(http.DefaultClient.Do(req))

	req, _ = http.NewRequest("GET", base+"avatars/ada.gif", nil)
	req.Header.Set("Range", "bytes=0-5")
	resp, err := http.DefaultClient.Do(req)
	show(resp, err)
	fmt.Println(resp.Header.Get("Content-Type"), resp.Header.Get("Content-Range"))
	http.DefaultClient.CloseIdleConnections()
	// Output:
	// 201 {"key":"avatars/ada.gif","size":17,"content_type":"image/gif","etag":"0d2fa166542dedb7a171c1ba6f539ad5"}
	// 415
	// 206 GIF89a
	// image/gif bytes 0-5/17
}

func show(resp *http.Response, err error) {
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		fmt.Println(resp.StatusCode)
		return
	}
	fmt.Println(resp.StatusCode, string(b))
}
