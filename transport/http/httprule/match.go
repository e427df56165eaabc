package httprule

import (
	"net/url"
	"strconv"
	"strings"
)

// match matches an escaped request path against t and returns the values of
// its variables, percent-decoded: a one-segment variable wholly, a variable
// over several segments segment by segment, keeping "%2F" (http.proto's
// rule: its '/' are the template's).
func (t *Template) match(escapedPath string) ([]string, bool) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, false
	}
	p := escapedPath[1:]
	if t.Verb != "" {
		var ok bool
		if p, ok = strings.CutSuffix(p, ":"+t.Verb); !ok {
			return nil, false
		}
	}
	// the segments, and ends[i], the end of the parts segment i matched, in
	// arrays on the stack for the paths a service has
	var partsBuf [16]string
	var endsBuf [16]int
	parts := partsBuf[:0]
	for rest, more := p, p != ""; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		parts = append(parts, seg)
	}
	ends := endsBuf[:0]
	if len(t.Segments) > len(endsBuf) {
		ends = make([]int, 0, len(t.Segments))
	}
	ends = ends[:len(t.Segments)]
	n := 0
	for i, sg := range t.Segments {
		switch sg.Kind {
		case DeepWildcard:
			n = len(parts)
		case Wildcard:
			if n >= len(parts) || parts[n] == "" {
				return nil, false
			}
			n++
		default:
			if n >= len(parts) || !literalEqual(parts[n], sg.Literal) {
				return nil, false
			}
			n++
		}
		ends[i] = n
	}
	if n != len(parts) {
		return nil, false
	}
	vals := make([]string, len(t.Vars))
	for i, v := range t.Vars {
		from := 0
		if v.Start > 0 {
			from = ends[v.Start-1]
		}
		raw := parts[from:ends[v.End-1]]
		if v.End-v.Start == 1 && t.Segments[v.Start].Kind == Wildcard {
			s, err := url.PathUnescape(raw[0])
			if err != nil {
				return nil, false
			}
			vals[i] = s
			continue
		}
		dec := make([]string, len(raw))
		for j, r := range raw {
			s, err := url.PathUnescape(r)
			if err != nil {
				return nil, false
			}
			dec[j] = strings.ReplaceAll(s, "/", "%2F")
		}
		vals[i] = strings.Join(dec, "/")
	}
	return vals, true
}

func literalEqual(escaped, lit string) bool {
	if escaped == lit {
		return true
	}
	a, err1 := url.PathUnescape(escaped)
	b, err2 := url.PathUnescape(lit)
	return err1 == nil && err2 == nil && a == b
}

// ginPath is the route gin dispatches on: literals as they are, '*' as a
// parameter, '**' as a catch-all; the template's own match then checks the
// verb and extracts the variables.
func (t *Template) ginPath() string {
	var b strings.Builder
	for i, sg := range t.Segments {
		b.WriteByte('/')
		switch sg.Kind {
		case Wildcard:
			b.WriteString(":p" + strconv.Itoa(i))
		case DeepWildcard:
			b.WriteString("*p" + strconv.Itoa(i))
		default:
			b.WriteString(sg.Literal)
		}
	}
	if t.Verb != "" {
		if n := len(t.Segments); n == 0 || t.Segments[n-1].Kind == Literal {
			b.WriteString(`\:` + t.Verb) // an escaped colon: gin's literal ':'
		}
		// after a parameter the verb is part of the parameter's segment
	}
	return b.String()
}
