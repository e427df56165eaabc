// Package storagehttp serves a storage.Store over gox HTTP routes: Upload
// streams a request body into the store, Download serves an object with
// Range, ETag and Content-Disposition, and Signed serves the signed URLs of a
// storage.URLSigner (expired or tampered: 403).
//
//	store, _ := disk.New("data/files")
//	key := storagehttp.PathKey("key")
//	srv.PUT("/files/*key", storagehttp.Upload(store, key, storagehttp.UploadOptions{
//		MaxSize: 10 << 20, AllowedTypes: []string{"image/*", "application/pdf"},
//	}))
//	srv.GET("/files/*key", storagehttp.Download(store, key, storagehttp.DownloadOptions{}))
//
// Upload never trusts the client's Content-Type: it sniffs the first 512
// bytes with http.DetectContentType, refuses types not allowed (415), and
// stores the sniffed type. A body over MaxSize is a 413 and leaves nothing in
// the store (the store's Put guarantees it).
//
// Download does not use http.ServeContent: that needs an io.ReadSeeker over
// the whole object, which an S3 object is not, and would fetch every byte
// of it to serve a range. Download asks the store for the range (Get with an
// offset and length), so S3 sends only those bytes. It answers one range
// (a request for several gets the whole object, 200, as RFC 9110 allows),
// 416 with "Content-Range: bytes */size" for a range past the end,
// If-None-Match and If-Range with the object's ETag, and HEAD.
package storagehttp

import (
	"strings"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/storage"
	xhttp "github.com/goxkit/gox/transport/http"
)

// KeyFunc returns the object key a request is about. An error it returns
// is the response (a coded error renders with its status).
type KeyFunc func(c *xhttp.Context) (string, error)

// PathKey returns a KeyFunc reading the key from the route parameter
// param, a wildcard ("/files/*key") or a plain one ("/avatars/:key"). The
// key is checked with storage.ValidateKey (400 when invalid).
func PathKey(param string) KeyFunc {
	return func(c *xhttp.Context) (string, error) {
		key := strings.TrimPrefix(c.Param(param), "/")
		if err := storage.ValidateKey(key); err != nil {
			return "", err
		}
		return key, nil
	}
}

// Signed returns a handler for a route serving the signed URLs of signer
// ("/signed/*key", on GET, HEAD and PUT): it checks the signature and expiry
// of the request (403 when missing, tampered with or expired), then
// downloads (GET, HEAD) or uploads (PUT) as Download and Upload do.
func Signed(store storage.Store, signer *storage.URLSigner, param string, up UploadOptions, down DownloadOptions) xhttp.HandlerFunc {
	key := PathKey(param)
	upload, download := Upload(store, key, up), Download(store, key, down)
	return func(c *xhttp.Context) error {
		k, err := key(c)
		if err != nil {
			return err
		}
		if err := signer.Verify(c.Request.Method, k, c.Request.URL.Query()); err != nil {
			return err
		}
		switch c.Request.Method {
		case "GET", "HEAD":
			return download(c)
		case "PUT":
			return upload(c)
		}
		return errors.New(405, errors.ReasonMethodNotAllow, "storage: signed URLs serve GET, HEAD and PUT")
	}
}
