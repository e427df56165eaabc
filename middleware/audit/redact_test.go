package audit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	r := newRedactor([]string{"ssn"})
	for _, tc := range []struct{ in, want string }{
		{`{"password":"p","name":"x"}`, `{"name":"x","password":"[redacted]"}`},
		{`{"Password":1,"API-KEY":"k","apiKey":"k","X-Api-Key":"k"}`,
			`{"API-KEY":"[redacted]","Password":"[redacted]","X-Api-Key":"[redacted]","apiKey":"[redacted]"}`},
		{`{"refresh_token":"t","client_secret":"s","Authorization":"Bearer x"}`,
			`{"Authorization":"[redacted]","client_secret":"[redacted]","refresh_token":"[redacted]"}`},
		{`{"user":{"ssn":"123","tags":[{"token":"a"},{"ok":1}]}}`,
			`{"user":{"ssn":"[redacted]","tags":[{"token":"[redacted]"},{"ok":1}]}}`},
		{`{"secret":{"a":1,"b":[1,2]}}`, `{"secret":"[redacted]"}`},
		{`[1,"two",null,true]`, `[1,"two",null,true]`},
		{`{"n":12345678901234567890}`, `{"n":12345678901234567890}`},
		{`"plain"`, `"plain"`},
	} {
		got, err := r.JSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("JSON(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1} {"b":2}`, `{"a":1}]`, `nope`} {
		if _, err := r.JSON([]byte(bad)); err == nil {
			t.Errorf("JSON(%q): no error", bad)
		}
	}
	deep := strings.Repeat(`{"a":`, maxDepth+2) + `{"password":"p"}` + strings.Repeat(`}`, maxDepth+2)
	got, err := r.JSON([]byte(deep))
	if err != nil || strings.Contains(string(got), `"p"`) || !strings.Contains(string(got), "[too deep]") {
		t.Errorf("deep value: %s, %v", got, err)
	}
}

// FuzzRedact: any input either is refused or comes out as valid JSON in
// which no value under a secret key survives.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{`{"password":"p"}`, `{"a":[{"token":"t"}]}`, `[1,2]`, `"x"`, `{"a":{"b":{"c":{}}}}`,
		`{"Api_Key":{"nested":"v"}}`, `{"a":1}  `, `{"\u0070assword":"p"}`} {
		f.Add([]byte(s))
	}
	r := newRedactor([]string{"ssn"})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := r.JSON(data)
		if err != nil {
			return
		}
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("redacted output %q is not JSON: %v", out, err)
		}
		var check func(v any)
		check = func(v any) {
			switch t2 := v.(type) {
			case map[string]any:
				for k, e := range t2 {
					if r.secret(k) && e != Redacted {
						t.Fatalf("key %q kept %v in %s", k, e, out)
					}
					check(e)
				}
			case []any:
				for _, e := range t2 {
					check(e)
				}
			}
		}
		check(v)
	})
}
