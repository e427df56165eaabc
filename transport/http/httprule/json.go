package httprule

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
)

// bufPool holds the buffers a request's body is read into and its reply
// encoded into; one larger than maxPooled is not kept, so that one large
// request does not pin its memory.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooled = 64 << 10

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		bufPool.Put(b)
	}
}

// readAll appends r's content to dst.
func readAll(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// fieldJSON returns the value of key in the JSON object whole.
func fieldJSON(whole []byte, key string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(whole, &obj); err != nil {
		return nil, err
	}
	v, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("response has no field %q", key)
	}
	return v, nil
}

func queryUnescape(s string) (string, error) { return url.QueryUnescape(s) }

// escapeSegments escapes each '/'-separated segment of a decoded path.
func escapeSegments(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
