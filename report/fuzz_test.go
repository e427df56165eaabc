package report_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/report"
)

// FuzzRedactQuery feeds the query redaction any raw query a client may
// send: it never panics, keeps every parameter in its place and leaves no
// secret parameter's value.
func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"", "a=1", "access_token=x", "ACCESS_TOKEN=x&b=2", "acc%65ss_token=x", "%zz=1&token",
		"token=a=b", "&&", "password=%", "q=a%3Db&secret=1;x=2", "api_key"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		rec := newRecorder()
		d, err := report.NewDispatcher(report.WithReporter(rec))
		if err != nil {
			t.Fatal(err)
		}
		d.Submit(context.Background(), &report.Report{Err: errors.Internal("", "x"), HTTP: &report.HTTP{Query: raw, Header: http.Header{}}})
		if err := d.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := rec.next(t).HTTP.Query
		in, out := strings.Split(raw, "&"), strings.Split(got, "&")
		if raw == "" {
			in = nil
		}
		if got == "" {
			out = nil
		}
		if len(in) != len(out) {
			t.Fatalf("%q became %q: parameters lost or added", raw, got)
		}
		for i, p := range out {
			key, val, _ := strings.Cut(p, "=")
			k, err := url.QueryUnescape(key)
			if err != nil {
				k = key
			}
			secret := false
			for _, s := range report.DefaultRedactQuery {
				secret = secret || strings.EqualFold(strings.TrimSpace(k), s)
			}
			switch {
			case secret && val != report.Redacted:
				t.Fatalf("%q became %q: %s kept its value", raw, got, key)
			case !secret && p != in[i]:
				t.Fatalf("%q became %q: %q changed", raw, got, in[i])
			}
		}
	})
}
