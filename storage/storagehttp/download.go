package storagehttp

import (
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/goxkit/gox/storage"
	xhttp "github.com/goxkit/gox/transport/http"
)

// DownloadOptions configure Download.
type DownloadOptions struct {
	// Attachment makes browsers save the object ("Content-Disposition:
	// attachment") rather than show it (inline, the default).
	Attachment bool
	// Filename returns the file name offered to the browser (the key's last
	// segment if nil). It is made safe: path separators, quotes and control
	// characters are replaced, and a non-ASCII name is sent RFC 5987-encoded
	// (filename*=).
	Filename func(info storage.Info) string
	// CacheControl, when set, is sent as the Cache-Control header.
	CacheControl string
}

// Download returns a handler serving the object under the key from key
// (GET and HEAD): 200 with the object, 206 with one range, 304 when
// If-None-Match holds its ETag, 404 when missing, 416 when the range is past
// the end. Content-Type is the stored one, with X-Content-Type-Options:
// nosniff.
func Download(store storage.Store, key KeyFunc, opts DownloadOptions) xhttp.HandlerFunc {
	return func(c *xhttp.Context) error {
		k, err := key(c)
		if err != nil {
			return err
		}
		ctx := c.Request.Context()
		info, err := store.Stat(ctx, k)
		if err != nil {
			return err
		}
		w, r := c.Writer, c.Request
		etag := quote(info.ETag)
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Accept-Ranges", "bytes")
		h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
		if opts.CacheControl != "" {
			h.Set("Cache-Control", opts.CacheControl)
		}
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		off, n, partial, err := requestedRange(r, etag, info.Size)
		if err != nil {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(info.Size, 10))
			return storage.ErrInvalidRange.WithMessage("storage: range %q is past the end of %q (%d bytes)", r.Header.Get("Range"), k, info.Size)
		}
		var body io.ReadCloser = http.NoBody
		if r.Method != http.MethodHead && n > 0 {
			var got storage.Info
			body, got, err = store.Get(ctx, k, storage.GetOptions{Offset: off, Length: n})
			if err != nil {
				return err
			}
			if got.ETag != info.ETag {
				// replaced since Stat: serve the new object, whole
				body.Close()
				if body, got, err = store.Get(ctx, k, storage.GetOptions{}); err != nil {
					return err
				}
				info, etag, off, n, partial = got, quote(got.ETag), 0, got.Size, false
				h.Set("ETag", etag)
				h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
			}
			defer body.Close()
		}
		h.Set("Content-Type", info.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", disposition(opts, info))
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		status := http.StatusOK
		if partial {
			status = http.StatusPartialContent
			h.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, body) // a client gone mid-body: nothing to answer
		}
		return nil
	}
}

// etagMatch reports whether an If-None-Match header lists etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// requestedRange returns the one range a request asks for, or the whole
// object (partial false) when it asks for none, several, a malformed one, or
// If-Range does not hold the current ETag. err is set for a range that
// starts past the end (416).
func requestedRange(r *http.Request, etag string, size int64) (off, n int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	if first == "" { // suffix: the last N bytes
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, size, false, nil
		}
		if k == 0 || size == 0 {
			return 0, 0, false, storage.ErrInvalidRange
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	start, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || start < 0 {
		return 0, size, false, nil
	}
	end := size - 1
	if last != "" {
		e, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || e < start {
			return 0, size, false, nil
		}
		end = min(e, size-1)
	}
	if start >= size {
		return 0, 0, false, storage.ErrInvalidRange
	}
	return start, end - start + 1, true, nil
}

// disposition returns the Content-Disposition of the object.
func disposition(opts DownloadOptions, info storage.Info) string {
	kind := "inline"
	if opts.Attachment {
		kind = "attachment"
	}
	name := path.Base(info.Key)
	if opts.Filename != nil {
		name = opts.Filename(info)
	}
	name = SafeFilename(name)
	if v := mime.FormatMediaType(kind, map[string]string{"filename": name}); v != "" {
		return v
	}
	return kind
}

// SafeFilename returns name fit for a Content-Disposition header: its last
// path segment, with control characters, quotes, backslashes and slashes
// replaced by '_', at most 255 bytes, never empty, "." or "..".
func SafeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '\\' || r == '/' || r == unicode.ReplacementChar {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(name, "_"))
	for len(name) > 255 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return []rune(s[i:])[0], len(s) - i
		}
	}
	return 0, 1
}
