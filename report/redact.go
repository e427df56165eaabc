package report

import (
	"net/http"
	"net/url"
	"strings"
)

// redactHeader replaces, in place, the values of h's secret headers by
// Redacted. h is the report's own copy.
func (rd redactor) redactHeader(h http.Header) {
	for k, vs := range h {
		if _, ok := rd.headers[http.CanonicalHeaderKey(k)]; ok {
			for i := range vs {
				vs[i] = Redacted
			}
		}
	}
}

// redactQuery returns the raw query with the values of secret parameters
// replaced by Redacted. The rest is kept byte for byte, in order; a
// parameter is recognised under any case and in its escaped form
// (acc%65ss_token). A query Go cannot parse is redacted all the same.
func (rd redactor) redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		key, _, _ := strings.Cut(part, "=")
		if rd.secretParam(key) {
			b.WriteString(key)
			b.WriteByte('=')
			b.WriteString(Redacted)
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}

func (rd redactor) secretParam(key string) bool {
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	_, ok := rd.query[strings.ToLower(strings.TrimSpace(key))]
	return ok
}
