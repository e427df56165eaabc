package dbbroker

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// encodeHeaders stores a message's headers as a JSON object of strings.
// Names and values must be valid UTF-8: JSON would replace other bytes, and
// the consumer would get headers other than those published.
func encodeHeaders(h map[string]string) (string, error) {
	for k, v := range h {
		if !utf8.ValidString(k) {
			return "", fmt.Errorf("header name %q is not valid UTF-8", k)
		}
		if !utf8.ValidString(v) {
			return "", fmt.Errorf("header %q: value %q is not valid UTF-8", k, v)
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("headers: %w", err)
	}
	return string(b), nil
}

// decodeHeaders reads a stored headers column: a JSON object of strings;
// empty and null are no headers. The error says what the column holds
// instead, for rows written by something other than Publish.
func decodeHeaders(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		const max = 64
		shown := s
		if len(shown) > max {
			shown = shown[:max] + "…"
		}
		return nil, fmt.Errorf("stored headers %q are not a JSON object of strings: %w", shown, err)
	}
	return h, nil
}
