package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Redacted replaces a secret value.
const Redacted = "[redacted]"

// DefaultSecrets are the names redacted whatever the config says.
var DefaultSecrets = []string{"password", "token", "authorization", "secret", "api_key"}

// maxDepth bounds the nesting the redaction walks; deeper values are
// replaced whole, so no secret hides below it.
const maxDepth = 32

// redactor decides which keys hold secrets.
type redactor struct {
	names []string // normalized
}

func newRedactor(extra []string) redactor {
	var r redactor
	for _, n := range append(append([]string(nil), DefaultSecrets...), extra...) {
		if n = normalize(n); n != "" {
			r.names = append(r.names, n)
		}
	}
	return r
}

// normalize lower-cases name and drops "_", "-" and spaces, so that
// "api_key", "apiKey" and "X-Api-Key" compare alike.
func normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, c := range strings.ToLower(name) {
		if c == '_' || c == '-' || c == ' ' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// secret reports whether a key of that name holds a secret: its normalized
// name contains a secret name.
func (r redactor) secret(key string) bool {
	k := normalize(key)
	for _, n := range r.names {
		if strings.Contains(k, n) {
			return true
		}
	}
	return false
}

var errTrailing = errors.New("data after the JSON value")

// JSON returns data, one JSON value, with the value of every secret key
// replaced by Redacted, at any depth (inside arrays too). Values nested
// deeper than maxDepth are replaced whole. Keys come out sorted.
func (r redactor) JSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailing
	}
	return json.Marshal(r.walk(v, 0))
}

func (r redactor) walk(v any, depth int) any {
	if depth >= maxDepth {
		switch v.(type) {
		case map[string]any, []any:
			return "[too deep]"
		}
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if r.secret(k) {
				t[k] = Redacted
			} else {
				t[k] = r.walk(e, depth+1)
			}
		}
	case []any:
		for i, e := range t {
			t[i] = r.walk(e, depth+1)
		}
	}
	return v
}
