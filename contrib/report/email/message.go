package email

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/goxkit/gox/report"
)

// Subject is what the subject template (Config.Subject) sees.
type Subject struct {
	Service, Environment, Version string
	// Code is the HTTP status of the failure (500 for an error gox does
	// not know); Reason its reason ("INTERNAL").
	Code      int
	Reason    string
	Operation string
	Kind      report.Kind
	// Count is how many failures the email stands for: 1, or more for a
	// group.
	Count int
	Panic bool
}

// maxSubject bounds a rendered subject, in bytes.
const maxSubject = 250

func renderSubject(t *template.Template, s Subject) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, s); err != nil {
		return "", err
	}
	return oneLine(b.String(), maxSubject), nil
}

// oneLine makes s fit in a header: control characters (a CR LF that would
// start a header of its own) become spaces, runs of spaces one, and it is
// cut at max bytes on a rune boundary.
func oneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }), " ")
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }

// held is what the emails before this one could not say: alerts not
// sent over the hourly cap or because the server failed, and the failures
// they stood for.
type held struct {
	limited, failed, reports int
}

func (h held) any() bool { return h.limited+h.failed > 0 }

// compose builds the email of a.
func (rep *Reporter) compose(a *alert, h held) (*mail.Msg, error) {
	r := a.r
	m := mail.NewMsg()
	if err := m.From(rep.cfg.From); err != nil {
		return nil, fmt.Errorf("email.from: %w", err)
	}
	if err := m.To(rep.cfg.To...); err != nil {
		return nil, fmt.Errorf("email.to: %w", err)
	}
	subj, err := renderSubject(rep.subject, Subject{Service: r.Service, Environment: r.Environment, Version: r.Version,
		Code: r.Code, Reason: r.Reason, Operation: r.Operation, Kind: r.Kind, Count: a.count, Panic: r.Panic})
	if err != nil {
		return nil, fmt.Errorf("email.subject: %w", err)
	}
	m.Subject(subj)
	m.SetDateWithValue(rep.now())
	m.SetMessageID()
	if a.group != "" {
		m.SetGenHeader("X-Gox-Group", a.group)
	}
	m.SetBodyString(mail.TypeTextPlain, body(a, h, rep.cfg))
	for _, at := range r.Attachments {
		ct := at.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := oneLine(at.Name, 200)
		if name == "" {
			name = "attachment"
		}
		if err := m.AttachReader(name, bytes.NewReader(at.Data), mail.WithFileContentType(mail.ContentType(ct))); err != nil {
			return nil, fmt.Errorf("attachment %q: %w", name, err)
		}
	}
	return m, nil
}

// body is the email's text: what failed and where, how often, what was
// held back, and the stack.
func body(a *alert, h held, cfg Config) string {
	r := a.r
	var b strings.Builder
	what := "an unexpected failure"
	if r.Panic {
		what = "a panic"
	}
	fmt.Fprintf(&b, "%s reported %s.\n\n", nonEmpty(r.Service, "A service"), what)
	field := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", name+":", oneLine(v, 2000))
		}
	}
	field("Service", strings.TrimSpace(r.Service+" "+r.Version))
	field("Environment", r.Environment)
	field("Operation", r.Operation)
	field("Kind", string(r.Kind))
	field("Code", strings.TrimSpace(fmt.Sprintf("%d %s", r.Code, r.Reason)))
	field("Message", r.Message)
	if r.Message == "" && r.Err != nil {
		field("Error", r.Err.Error())
	}
	field("Time", stamp(r.Time))
	field("Request id", r.RequestID)
	field("Trace id", r.TraceID)
	field("Span id", r.SpanID)
	if a.count > 1 {
		fmt.Fprintf(&b, "\nThis failure happened %d times between %s and %s (grouped for %v; group %s).\n",
			a.count, stamp(a.first), stamp(a.last), cfg.Window, a.group)
	}
	if r.HTTP != nil {
		b.WriteString("\nRequest:\n")
		target := r.HTTP.Path
		if r.HTTP.Query != "" {
			target += "?" + r.HTTP.Query
		}
		fmt.Fprintf(&b, "  %s\n", oneLine(r.HTTP.Method+" "+target, 2000))
		writeHeader(&b, r.HTTP.Header)
	}
	if len(r.Tags) > 0 {
		b.WriteString("\nTags:\n")
		for _, k := range sortedKeys(r.Tags) {
			fmt.Fprintf(&b, "  %s: %s\n", oneLine(k, 200), oneLine(r.Tags[k], 2000))
		}
	}
	if len(r.Attachments) > 0 {
		b.WriteString("\nAttached:")
		for _, at := range r.Attachments {
			fmt.Fprintf(&b, " %s (%d bytes)", oneLine(at.Name, 200), len(at.Data))
		}
		b.WriteString("\n")
	}
	if h.any() {
		fmt.Fprintf(&b, "\nHeld back since the last email: %d alerts for %d failures", h.limited+h.failed, h.reports)
		fmt.Fprintf(&b, " (%d over the limit of %d emails an hour, %d the SMTP server did not take).\n",
			h.limited, cfg.MaxPerHour, h.failed)
	}
	if r.Stack != "" {
		b.WriteString("\nStack:\n")
		b.WriteString(cutLines(r.Stack, maxStackLines))
	}
	return b.String()
}

func writeHeader(b *strings.Builder, h http.Header) {
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(b, "  %s: %s\n", oneLine(k, 200), oneLine(v, 2000))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func cutLines(s string, n int) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if n--; n < 0 {
			b.WriteString("…\n")
			break
		}
		b.WriteString(line)
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
