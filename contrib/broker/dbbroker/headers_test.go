package dbbroker

import (
	"maps"
	"strings"
	"testing"
)

// FuzzStoredHeaders feeds the decoder of the gox_queue_jobs.headers column
// (and of gox_queue_failed's) what a row may hold: what Publish wrote, and
// what a person or another program may have written by hand. An accepted
// column round-trips; a refused one gets an error saying the headers are
// not what they should be; nothing panics.
func FuzzStoredHeaders(f *testing.F) {
	for _, s := range []string{
		`{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","x-request-id":"req-42"}`,
		`{}`, ``, `null`, `{"a":""}`, `{"é":"\u00e9\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":"1","a":"2"}`,
		`{"a":1}`, `{"a":null}`, `["a"]`, `"a"`, `{`, `{"a":"b"} x`, `{"a":{"b":"c"}}`,
		strings.Repeat(`[`, 10000), "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := decodeHeaders(s)
		if err != nil {
			if !strings.Contains(err.Error(), "stored headers") || h != nil {
				t.Fatalf("refused %q with %v and headers %v", s, err, h)
			}
			return
		}
		again, err := encodeHeaders(h)
		if err != nil {
			t.Fatalf("decoded %q to %v, which cannot be stored again: %v", s, h, err)
		}
		back, err := decodeHeaders(again)
		if err != nil || !maps.Equal(back, h) {
			t.Fatalf("%q decoded to %v, stored as %q, read back as %v (%v)", s, h, again, back, err)
		}
	})
}

// FuzzPublishedHeaders: headers a producer sets reach the consumer as they
// were, or Publish refuses them naming the header.
func FuzzPublishedHeaders(f *testing.F) {
	f.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("", "")
	f.Add("ce-type", "com.example.order.placed")
	f.Add("bin", "\xff\x00\x01")
	f.Add("\xc3", "v")
	f.Add("quote\"", "line\nbreak\t\u2028<>&")
	f.Fuzz(func(t *testing.T, k, v string) {
		in := map[string]string{k: v, "x-request-id": "req-1"}
		s, err := encodeHeaders(in)
		if err != nil {
			if !strings.Contains(err.Error(), "header") || !strings.Contains(err.Error(), "UTF-8") {
				t.Fatalf("refused %q=%q with %v", k, v, err)
			}
			return
		}
		out, err := decodeHeaders(s)
		if err != nil || !maps.Equal(in, out) {
			t.Fatalf("published %q, stored %q, consumed %q (%v)", in, s, out, err)
		}
	})
}
