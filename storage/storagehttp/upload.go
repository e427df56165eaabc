package storagehttp

import (
	"bytes"
	stderrors "errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/storage"
	xhttp "github.com/goxkit/gox/transport/http"
)

// DefaultMaxUpload is UploadOptions.MaxSize when none is given.
const DefaultMaxUpload = 32 << 20

// ReasonUnsupportedType is the reason of the 415 refusing an upload whose
// sniffed content type is not allowed.
const ReasonUnsupportedType = "UNSUPPORTED_MEDIA_TYPE"

// UploadOptions configure Upload.
type UploadOptions struct {
	// MaxSize is the largest object accepted (DefaultMaxUpload if 0); a
	// larger body is a 413 and stores nothing.
	MaxSize int64
	// AllowedTypes are the media types accepted, as sniffed from the
	// content ("image/png", or "image/*"); empty accepts any. Sniffing
	// knows the types http.DetectContentType does: text is "text/plain",
	// JSON and CSV included.
	AllowedTypes []string
	// FormField is the field of a multipart/form-data body holding the
	// file ("file" if empty). A body of another type is the file itself.
	FormField string
	// Metadata, when set, returns the user metadata to store with the
	// object.
	Metadata func(c *xhttp.Context) map[string]string
}

// Uploaded is Upload's 201 response.
type Uploaded struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	ETag        string `json:"etag"`
}

// Upload returns a handler storing the request body (raw, or the FormField
// file of a multipart form) under the key from key, streamed: the body is
// never held in memory whole. It answers 201 with Uploaded; 413 when the
// body is over MaxSize (Content-Length alone suffices to refuse it early);
// 415 when the sniffed type is not allowed; 400 for a bad key, a
// multipart body without the field, or invalid metadata.
func Upload(store storage.Store, key KeyFunc, opts UploadOptions) xhttp.HandlerFunc {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxUpload
	}
	if opts.FormField == "" {
		opts.FormField = "file"
	}
	return func(c *xhttp.Context) error {
		k, err := key(c)
		if err != nil {
			return err
		}
		if c.Request.ContentLength > opts.MaxSize {
			return storage.TooLarge(k, opts.MaxSize)
		}
		body, err := fileBody(c.Request, opts.FormField)
		if err != nil {
			return err
		}
		head := make([]byte, 512)
		n, err := io.ReadFull(body, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return bodyError(k, opts.MaxSize, err)
		}
		head = head[:n]
		ct := http.DetectContentType(head)
		if !allowed(ct, opts.AllowedTypes) {
			return errors.Newf(http.StatusUnsupportedMediaType, ReasonUnsupportedType,
				"storage: content of type %s is not accepted (allowed: %s)", ct, strings.Join(opts.AllowedTypes, ", "))
		}
		var md map[string]string
		if opts.Metadata != nil {
			md = opts.Metadata(c)
		}
		info, err := store.Put(c.Request.Context(), k, io.MultiReader(bytes.NewReader(head), body),
			storage.PutOptions{ContentType: ct, Metadata: md, MaxSize: opts.MaxSize, Size: c.Request.ContentLength})
		if err != nil {
			return bodyError(k, opts.MaxSize, err)
		}
		c.Header("ETag", quote(info.ETag))
		c.JSON(http.StatusCreated, Uploaded{Key: info.Key, Size: info.Size, ContentType: info.ContentType, ETag: info.ETag})
		return nil
	}
}

// fileBody returns the file of a multipart form, or the body itself.
func fileBody(r *http.Request, field string) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errors.BadRequest("", "storage: malformed multipart body: "+err.Error())
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.BadRequest("", "storage: the multipart form has no file field \""+field+"\"")
		}
		if err != nil {
			return nil, bodyError("", 0, err)
		}
		if p.FormName() == field {
			return p, nil
		}
	}
}

// bodyError turns a failure to read the body into a 413 when the server's
// body limit (http.MaxBytesReader) was hit.
func bodyError(key string, limit int64, err error) error {
	if mb, ok := stderrors.AsType[*http.MaxBytesError](err); ok {
		return storage.TooLarge(key, min(limit, mb.Limit))
	}
	if _, ok := stderrors.AsType[*errors.Error](err); ok {
		return err
	}
	return errors.BadRequest("", "storage: reading the upload: "+err.Error()).WithCause(err)
}

func allowed(ct string, types []string) bool {
	if len(types) == 0 {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	for _, t := range types {
		if t == mt || strings.HasSuffix(t, "/*") && strings.HasPrefix(mt, t[:len(t)-1]) {
			return true
		}
	}
	return false
}

func quote(etag string) string { return `"` + etag + `"` }
