package http

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goxkit/gox/errors"
)

// ErrorEncoder writes err as the response. production hides causes, stacks
// and the text of errors that did not come from the errors package.
type ErrorEncoder func(w http.ResponseWriter, r *http.Request, err error, production bool)

// Envelope is gox's default error body: {"code","reason","message","data"},
// with the metadata as data. In development it also carries the cause and, for
// server errors, the stack.
type Envelope struct {
	Code    int               `json:"code"`
	Reason  string            `json:"reason,omitempty"`
	Message string            `json:"message"`
	Data    map[string]string `json:"data"`
	Cause   string            `json:"cause,omitempty"`
	Stack   string            `json:"stack,omitempty"`
}

// Problem is an RFC 9457 problem detail, with reason and metadata as extension members.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Cause    string            `json:"cause,omitempty"`
	Stack    string            `json:"stack,omitempty"`
}

// ContentTypeProblem is the media type of RFC 9457 bodies.
const ContentTypeProblem = "application/problem+json"

// EnvelopeEncoder renders errors as Envelope; it is the default.
func EnvelopeEncoder(w http.ResponseWriter, _ *http.Request, err error, production bool) {
	e := errors.FromError(err)
	pub := e.Public(production)
	env := Envelope{Code: pub.Code, Reason: pub.Reason, Message: pub.Message, Data: pub.Metadata}
	if !production {
		env.Cause, env.Stack = causeText(e), serverStack(e)
	}
	writeJSON(w, "application/json; charset=utf-8", pub.Code, env)
}

// ProblemEncoder renders errors as RFC 9457 problem+json.
func ProblemEncoder(w http.ResponseWriter, r *http.Request, err error, production bool) {
	e := errors.FromError(err)
	pub := e.Public(production)
	p := Problem{Type: "about:blank", Title: http.StatusText(pub.Code), Status: pub.Code, Detail: pub.Message,
		Instance: r.URL.Path, Reason: pub.Reason, Metadata: pub.Metadata}
	if p.Title == "" {
		p.Title = "Error"
	}
	if !production {
		p.Cause, p.Stack = causeText(e), serverStack(e)
	}
	writeJSON(w, ContentTypeProblem, pub.Code, p)
}

// serverStack is the stack of a server-side failure; a client's mistake (4xx)
// gets none, since where the error value was made does not help the caller.
func serverStack(e *errors.Error) string {
	if e.Code < 500 {
		return ""
	}
	return e.Stack()
}

func causeText(e *errors.Error) string {
	if c := e.Unwrap(); c != nil {
		return c.Error()
	}
	return ""
}

func writeJSON(w http.ResponseWriter, contentType string, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away if this fails; nothing to tell it
}

// DecodeError turns an error response into an *errors.Error. The status
// decides the class: Code is always the response's status, so whether a call
// is retried, whether a breaker counts it and the code metrics record are
// never taken from the body. The body adds the reason, message and metadata
// when it is an error gox servers write (the envelope, or problem+json); any
// other body becomes part of the message, shortened. The body is read (up to
// 1 MiB) but not closed.
func DecodeError(resp *http.Response) *errors.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &errors.Error{Code: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var ok bool
	switch mt {
	case ContentTypeProblem:
		ok = decodeProblem(body, e)
	case "application/json":
		ok = decodeEnvelope(body, e)
	}
	if !ok {
		e.Message = foreignMessage(resp.StatusCode, mt, body)
	} else if e.Message == "" {
		e.Message = statusText(resp.StatusCode)
	}
	if _, has := e.Metadata[errors.MetadataRetryAfter]; !has {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if e.Metadata == nil {
				e.Metadata = map[string]string{}
			}
			e.Metadata[errors.MetadataRetryAfter] = d.String()
		}
	}
	return e
}

// retryAfter reads a Retry-After header: whole seconds, or an HTTP date
// (RFC 9110 §10.2.3) counted from now; ok is false for anything else, or a
// wait that is not positive.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(s) * time.Second, s > 0 && s < 1<<31
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return (t.Sub(now) + time.Second - 1).Truncate(time.Second), true // whole seconds, rounded up
	}
	return 0, false
}

const (
	maxErrorBody      = 1 << 20 // read of an error body
	maxForeignMessage = 512     // bytes of a foreign body kept in the message
)

// decodeEnvelope fills e from an Envelope: a JSON object with a numeric code
// and a string message. The code is not used: the status has the say.
func decodeEnvelope(body []byte, e *errors.Error) bool {
	var env struct {
		Code    *float64        `json:"code"`
		Reason  string          `json:"reason"`
		Message *string         `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil || env.Code == nil || env.Message == nil {
		return false
	}
	e.Reason, e.Message, e.Metadata = env.Reason, *env.Message, stringMap(env.Data)
	return true
}

// decodeProblem fills e from an RFC 9457 problem: detail (else title) is the
// message; gox's reason and metadata extension members are read too.
func decodeProblem(body []byte, e *errors.Error) bool {
	var p struct {
		Title    string          `json:"title"`
		Detail   string          `json:"detail"`
		Reason   string          `json:"reason"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if json.Unmarshal(body, &p) != nil {
		return false
	}
	e.Reason, e.Message, e.Metadata = p.Reason, p.Detail, stringMap(p.Metadata)
	if e.Message == "" {
		e.Message = p.Title
	}
	return true
}

// stringMap decodes metadata; anything but an object of strings is dropped,
// since metadata from another kind of server is no part of a gox error.
func stringMap(raw json.RawMessage) map[string]string {
	var m map[string]string
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}

// foreignMessage describes a reply that is not a gox error: its status, its
// media type and the start of its body on one line ("502 Bad Gateway
// (text/html): <html>…").
func foreignMessage(code int, mediaType string, body []byte) string {
	msg := statusText(code)
	if mediaType != "" {
		msg += " (" + mediaType + ")"
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if len(text) > maxForeignMessage {
		cut := maxForeignMessage
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	if text != "" {
		msg += ": " + text
	}
	return msg
}

// statusText is "502 Bad Gateway", or "599 status" for a code net/http has no name for.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("%d status", code)
}
