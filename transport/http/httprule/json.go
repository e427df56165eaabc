package httprule

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

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
