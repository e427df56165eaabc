package http_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	xhttp "github.com/goxkit/gox/transport/http"
)

// FuzzDecodeError feeds the client's error decoding any reply: it never
// panics, the status is always the code, the message is never empty, and
// what it decoded survives being sent again by a gox server in either format.
func FuzzDecodeError(f *testing.F) {
	f.Add(503, "application/json", []byte(`{"code":1}`))
	f.Add(404, "application/json; charset=utf-8", []byte(`{"code":404,"reason":"USER_NOT_FOUND","message":"user not found","data":{"id":"7"}}`+"\n"))
	f.Add(404, xhttp.ContentTypeProblem, []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"user not found","instance":"/users/7","reason":"USER_NOT_FOUND","metadata":{"id":"7"}}`))
	f.Add(500, "application/json", []byte(`{"code":500,"reason":"PANIC","message":"internal server error","data":null,"cause":"boom","stack":"main.go:1"}`))
	f.Add(502, "text/html", []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body>\r\n</html>\r\n"))
	f.Add(504, "", []byte(nil))
	f.Add(400, "application/json", []byte(`{"code":"400","message":1}`))
	f.Add(400, "application/json", []byte(`{"code":1e999,"message":"x"}`))
	f.Add(409, xhttp.ContentTypeProblem, []byte(`null`))
	f.Add(429, "application/json", []byte(`{"code":429,"message":"slow down","data":{"n":1}}`))
	f.Add(599, "text/plain; charset=\"", []byte("\xff\xfe\x00 broken \u2028 utf-8"))
	f.Add(301, "application/json", []byte(`[{"code":1,"message":"m"}]`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		status = 300 + (status%300+300)%300 // the replies Client.Do decodes: 3xx to 5xx
		e := xhttp.DecodeError(response(status, contentType, body))
		if e.Code != status {
			t.Fatalf("code %d from a %d reply", e.Code, status)
		}
		if e.Message == "" || !utf8.ValidString(e.Message) {
			t.Fatalf("message %q", e.Message)
		}
		for _, enc := range []xhttp.ErrorEncoder{xhttp.EnvelopeEncoder, xhttp.ProblemEncoder} {
			w := httptest.NewRecorder()
			enc(w, httptest.NewRequest(http.MethodGet, "/x", nil), e, false)
			again := xhttp.DecodeError(w.Result())
			if again.Code != e.Code || again.Reason != e.Reason || again.Message != e.Message || !maps.Equal(again.Metadata, e.Metadata) {
				t.Fatalf("decoded %+v, sent by a gox server and decoded again %+v", e, again)
			}
		}
	})
}

func response(status int, contentType string, body []byte) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(string(body)))}
}

// FuzzJSONBinding posts any body to a typed JSON route: it never panics; a
// refused body gets a 400 whose reason says what kind of problem it is and,
// for a field, names the field as the client sent it; an accepted one is
// what encoding/json reads from the body, echoed back intact.
func FuzzJSONBinding(f *testing.F) {
	for _, body := range []string{
		`{"by":"ann","text":"hello","address":{"city":"Oslo"},"items":[{"name":"a"}],"tags":{"k":"v"}}`,
		`{"by":"ann","text":"t","address":{"city":"x"},"items":[{"name":"a"},{}]}`,
		`{"by":"ann","text":"t","address":{}}`,
		`{"text":5}`,
		`{"by":"ann","text":"t","address":{"city":"x"},"tags":{"a.b":"long"},"Note":"n"}`,
		`{"address":null,"items":null}`,
		`{"by":"0","text":"0","address":{"city":"0"},"tags":{",0%2C0":"0000","a\"]b":"0000"}}`,
		`[]`, `null`, `"text"`, ``, ` `, `{`, `{"text":"t"} {}`, `{"items":[[]]}`,
		`{"by":"\ud800","text":"\u0000","address":{"city":"\"}"}}`,
		"{\"by\":\"\xff\xfe\",\"text\":\"t\",\"address\":{\"city\":\"x\"}}",
		`{"by":"a","text":"t","address":{"city":"x"},"items":[` + strings.Repeat(`{"name":"n"},`, 50) + `{}]}`,
		strings.Repeat("[", 10000),
	} {
		f.Add(body)
	}
	s := newServer(f, xhttp.DefaultConfig())
	s.POST("/orders/:id", xhttp.JSON(func(_ context.Context, o *order) (*order, error) { return o, nil }))
	reasons := []string{"MALFORMED_JSON", "EMPTY_BODY", "INVALID_FIELD"}
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/orders/7", strings.NewReader(body)))
		switch w.Code {
		case http.StatusOK:
			var sent, echoed order
			if err := json.Unmarshal([]byte(body), &sent); err != nil {
				t.Fatalf("accepted a body encoding/json refuses (%v): %q", err, body)
			}
			if err := json.Unmarshal(w.Body.Bytes(), &echoed); err != nil {
				t.Fatalf("reply does not decode: %v: %s", err, w.Body)
			}
			if !reflect.DeepEqual(sent, echoed) {
				t.Fatalf("sent %+v, the handler got %+v", sent, echoed)
			}
		case http.StatusBadRequest:
			var env xhttp.Envelope
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || !slices.Contains(reasons, env.Reason) {
				t.Fatalf("400 with body %s", w.Body)
			}
			if env.Reason != "INVALID_FIELD" {
				return
			}
			field := env.Data["field"]
			for escaped := range strings.SplitSeq(field, ",") {
				name, err := url.PathUnescape(escaped)
				if err != nil || name == "" || !strings.Contains(env.Message, "field "+strconv.Quote(name)) || strings.HasPrefix(name, "order") || strings.Contains(name, "audit") {
					t.Fatalf("field %q (of %q) is not a JSON name the message %q gives", name, field, env.Message)
				}
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
