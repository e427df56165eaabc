package http

import (
	"encoding/json"
	"net/http"

	"github.com/goxkit/gox/errors"
)

// ErrorEncoder writes err as the response. production hides causes, stacks
// and the text of errors that did not come from the errors package.
type ErrorEncoder func(w http.ResponseWriter, r *http.Request, err error, production bool)

// Envelope is the seed's error body: {"code","reason","message","data"}, with
// the metadata as data. In development it also carries the cause and, for
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
