package email

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goxkit/gox/report"
)

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"GET /x\r\nBcc: victim@example.com": "GET /x Bcc: victim@example.com",
		"  a \t b\x00c  ":                   "a b c",
		strings.Repeat("é", 200):            strings.Repeat("é", 125) + "…",
	} {
		if got := oneLine(in, maxSubject); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCompose builds an email from a report whose every string came from
// outside (an operation from a request path, a message, headers, tags,
// an attachment's name) and checks the email parses, goes to the
// configured recipients only, and has one subject line.
func FuzzCompose(f *testing.F) {
	f.Add("GET /v1/users/:id", "database is gone", "users", "X-Forwarded-For", "1.2.3.4", "cpu.pprof", panicStack)
	f.Add("GET /x\r\nBcc: victim@example.com", "m\r\n\r\nbody", "svc\nTo: x@y", "Bad\r\nKey", "v\r\n", "a\"\r\nb.txt", "")
	f.Add("{{.Service}}", "%s %v", "ünïcödé ✓", "", "", "", "\xff\xfe")
	rep, err := New(validConfig(), noTick)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = rep.Close(context.Background()) })
	f.Fuzz(func(t *testing.T, op, msg, service, hk, hv, attName, stack string) {
		r := &report.Report{Kind: report.KindHTTP, Operation: op, Code: 500, Message: msg, Service: service,
			Environment: "prod", Stack: stack, HTTP: &report.HTTP{Method: "GET", Path: op, Header: http.Header{hk: {hv}}},
			Tags: map[string]string{hk: hv}, Attachments: []report.Attachment{{Name: attName, Data: []byte(msg)}}}
		m, err := rep.compose(&alert{r: r, group: fingerprint(r), count: 3}, held{limited: 1, reports: 2})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		parsed, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("the email does not parse: %v\n%s", err, buf.String())
		}
		to, err := parsed.Header.AddressList("To")
		if err != nil || len(to) != 2 || to[0].Address != "ops@example.com" || to[1].Address != "oncall@example.com" {
			t.Errorf("To: %v %v", to, err)
		}
		for _, h := range []string{"Bcc", "Cc", "Reply-To"} {
			if v := parsed.Header.Get(h); v != "" {
				t.Errorf("a %s header came from the report: %q", h, v)
			}
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject: %v", err)
		}
		if strings.ContainsAny(subj, "\r\n") || (utf8.ValidString(op) && !strings.Contains(subj, "500")) {
			t.Errorf("subject %q", subj)
		}
	})
}
