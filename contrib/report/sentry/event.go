package sentry

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getsentry/sentry-go"

	goxerrors "github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
	"github.com/goxkit/gox/report"
)

// Sentry's limits: the longest tag key and value it keeps. maxTags and
// maxContextValue bound what a report adds, whatever it holds.
const (
	maxTagKey       = 32
	maxTagValue     = 200
	maxTags         = 64
	maxContextValue = 1024
	// maxExceptionValue bounds the error's text: the title of the issue
	// in Sentry's list.
	maxExceptionValue = 8192
)

// event is r as a Sentry event.
func (rep *Reporter) event(r *report.Report) *sentry.Event {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Timestamp = r.Time
	ev.Transaction = r.Operation
	ev.Environment = first(rep.cfg.Environment, r.Environment)
	ev.Release = first(rep.cfg.Release, release(r))
	ev.ServerName = rep.cfg.ServerName

	// the report's tags first: what gox knows has the last word
	n := 0
	for k, v := range r.Tags {
		if n++; n > maxTags {
			break
		}
		setTag(ev.Tags, k, v)
	}
	setTag(ev.Tags, "kind", string(r.Kind))
	setTag(ev.Tags, "operation", r.Operation)
	if r.Code != 0 {
		setTag(ev.Tags, "code", strconv.Itoa(r.Code))
	}
	setTag(ev.Tags, "reason", r.Reason)
	setTag(ev.Tags, "service", r.Service)
	setTag(ev.Tags, "version", r.Version)
	setTag(ev.Tags, "request_id", r.RequestID)
	if r.Panic {
		setTag(ev.Tags, "panic", "true")
	}

	if trace := traceContext(r.TraceID, r.SpanID); trace != nil {
		ev.Contexts["trace"] = trace
	}
	gox := sentry.Context{"kind": string(r.Kind), "code": r.Code, "panic": r.Panic}
	for k, v := range map[string]string{
		"operation": r.Operation, "reason": r.Reason, "message": r.Message,
		"request_id": r.RequestID, "trace_id": r.TraceID, "span_id": r.SpanID,
	} {
		if v != "" {
			gox[k] = truncate(v, maxContextValue)
		}
	}
	ev.Contexts["gox"] = gox

	if r.HTTP != nil {
		ev.Request = request(r.HTTP)
	}
	if r.Message != "" {
		ev.Message = r.Message
	}

	exc := exception(r)
	ev.Exception = []sentry.Exception{exc}
	ev.Fingerprint = fingerprint(r, exc.Stacktrace)

	for _, a := range r.Attachments {
		ev.Attachments = append(ev.Attachments, &sentry.Attachment{
			Filename: first(a.Name, "attachment"), ContentType: a.ContentType, Payload: a.Data,
		})
	}
	if rep.crumbs != nil {
		ev.Breadcrumbs = rep.crumbs.last(rep.cfg.MaxBreadcrumbs)
	}
	return ev
}

// exception is the failure of r with the frames of its stack. A panic is
// unhandled in Sentry's words (the code did not expect it; gox recovered
// it), an error handled.
func exception(r *report.Report) sentry.Exception {
	e := sentry.Exception{Type: r.Reason, Value: r.Message}
	if r.Err != nil {
		e.Value = truncate(errorText(r.Err), maxExceptionValue)
		if e.Type == "" {
			e.Type = fmt.Sprintf("%T", r.Err)
		}
	}
	if e.Type == "" {
		e.Type = "error"
		if r.Panic {
			e.Type = "panic"
		}
	}
	e.Stacktrace = stacktrace(stackOf(r))
	e.Mechanism = &sentry.Mechanism{Type: "generic", Handled: sentry.Pointer(true)}
	if r.Panic {
		e.Mechanism = &sentry.Mechanism{Type: "panic", Handled: sentry.Pointer(false)}
	}
	return e
}

// release is service@version, Sentry's way of naming a release, or the
// version alone.
func release(r *report.Report) string {
	switch {
	case r.Version == "":
		return ""
	case r.Service == "":
		return r.Version
	}
	return r.Service + "@" + r.Version
}

func setTag(tags map[string]string, k, v string) {
	if k == "" || v == "" {
		return
	}
	tags[truncate(k, maxTagKey)] = truncate(v, maxTagValue)
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// stackOf is the report's stack or, when the report has none, the one its
// error carries: a recovered panic's (recovery.PanicError, from the panic
// site) or where a gox error was made.
func stackOf(r *report.Report) string {
	if r.Stack != "" || r.Err == nil {
		return r.Stack
	}
	var p *recovery.PanicError
	if errors.As(r.Err, &p) && p.Stack != "" {
		return p.Stack
	}
	var s interface{ Stack() string }
	if errors.As(r.Err, &s) {
		return s.Stack()
	}
	return ""
}

// traceContext is Sentry's trace context for a W3C trace id (32 hex
// digits) and span id (16), or nil when the trace id is not one: Sentry
// drops a malformed one anyway, and the report's ids are kept in the gox
// context whatever they are.
func traceContext(traceID, spanID string) sentry.Context {
	if !isHex(traceID, 32) {
		return nil
	}
	trace := sentry.Context{"trace_id": strings.ToLower(traceID)}
	if isHex(spanID, 16) {
		trace["span_id"] = strings.ToLower(spanID)
	}
	return trace
}

func isHex(s string, n int) bool {
	if len(s) != n || strings.Trim(s, "0") == "" { // all zeros: no trace
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// secretHeaders are replaced whatever the report holds: a report built by
// hand may not have been redacted.
var secretHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
	"X-Api-Key": true, "X-Auth-Token": true, "X-Csrf-Token": true, "X-Xsrf-Token": true,
}

// redacted is what stands for a secret header's value, as in gox's reports.
const redacted = "[redacted]"

// request is the HTTP request of a report as Sentry's.
func request(h *report.HTTP) *sentry.Request {
	req := &sentry.Request{Method: h.Method, URL: h.Path, QueryString: h.Query}
	if len(h.Header) == 0 {
		return req
	}
	req.Headers = make(map[string]string, len(h.Header))
	for k, vs := range h.Header {
		v := strings.Join(vs, ", ")
		if secretHeaders[http.CanonicalHeaderKey(k)] {
			v = redacted
		}
		req.Headers[k] = v
	}
	return req
}

// fingerprint groups the events of one failure into one Sentry issue: the
// same kind, operation, code (or reason) and innermost frame. Two panics in
// one handler at different places are two issues; the same error returned
// a thousand times is one.
func fingerprint(r *report.Report, st *sentry.Stacktrace) []string {
	fp := []string{string(r.Kind), r.Operation, first(r.Reason, strconv.Itoa(r.Code))}
	if st != nil && len(st.Frames) > 0 {
		f := st.Frames[len(st.Frames)-1]
		fp = append(fp, f.Module+"."+f.Function)
	}
	return fp
}

// errorText is what the exception says: a recovered panic's "panic: value"
// rather than the 500 it became, a gox error's message and cause without
// the code and reason the exception's type and the tags already carry,
// any other error's text.
func errorText(err error) string {
	var p *recovery.PanicError
	if errors.As(err, &p) {
		return p.Error()
	}
	var ge *goxerrors.Error
	if errors.As(err, &ge) && ge == err {
		if c := ge.Unwrap(); c != nil {
			return first(ge.Message, "error") + ": " + c.Error()
		}
		return first(ge.Message, err.Error())
	}
	return err.Error()
}
