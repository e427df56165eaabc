package httprule

import (
	"fmt"
	"strings"
)

// This file is shared, byte for byte but for the package clause, with gctl's
// generator (cmd/gctl/internal/httprule/template.go), which validates the
// templates this package serves; a gctl test keeps the two the same.

// Template is a parsed google.api.http path template (google/api/http.proto):
//
//	Template = "/" Segments [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	FieldPath = IDENT { "." IDENT } ;
//	Verb     = ":" LITERAL ;
type Template struct {
	Segments []Segment
	Vars     []Var  // in the order they appear
	Verb     string // without its ':'; "" for none
}

// SegmentKind is what a path segment matches.
type SegmentKind uint8

// The kinds of segments.
const (
	Literal      SegmentKind = iota // exactly Segment.Literal
	Wildcard                        // "*": one segment
	DeepWildcard                    // "**": zero or more segments, the last of a template
)

// Segment is one segment of a template.
type Segment struct {
	Kind    SegmentKind
	Literal string
}

// Var is a variable: the field it binds and the segments it covers,
// Segments[Start:End].
type Var struct {
	FieldPath  []string
	Start, End int
}

// TemplateError is a malformed template: what is wrong and the byte offset
// in the template where it is.
type TemplateError struct {
	Offset int
	Msg    string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("path template, at byte %d: %s", e.Offset, e.Msg)
}

// ParseTemplate parses a path template.
func ParseTemplate(s string) (*Template, error) {
	p := &templateParser{s: s}
	t, err := p.parse()
	if err != nil {
		return nil, err
	}
	return t, nil
}

type templateParser struct {
	s   string
	pos int
	t   Template
}

func (p *templateParser) fail(format string, args ...any) error {
	return &TemplateError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *templateParser) parse() (*Template, error) {
	if !strings.HasPrefix(p.s, "/") {
		return nil, p.fail("a template starts with '/'")
	}
	p.pos = 1
	if err := p.segments(false); err != nil {
		return nil, err
	}
	if p.pos < len(p.s) && p.s[p.pos] == ':' {
		p.pos++
		start := p.pos
		lit := p.literal()
		if lit == "" {
			return nil, p.fail("a verb after ':' is a literal")
		}
		if strings.ContainsRune(lit, ':') {
			return nil, &TemplateError{Offset: start, Msg: "a verb holds no ':'"}
		}
		p.t.Verb = lit
	}
	if p.pos != len(p.s) {
		return nil, p.fail("unexpected %q", p.s[p.pos])
	}
	for i, sg := range p.t.Segments {
		if sg.Kind == DeepWildcard && i != len(p.t.Segments)-1 {
			return nil, &TemplateError{Offset: 0, Msg: "'**' must be the last segment"}
		}
	}
	seen := map[string]bool{}
	for _, v := range p.t.Vars {
		name := strings.Join(v.FieldPath, ".")
		if seen[name] {
			return nil, &TemplateError{Offset: 0, Msg: fmt.Sprintf("variable %q is bound twice", name)}
		}
		seen[name] = true
	}
	return &p.t, nil
}

// segments parses Segments; inVar: inside a variable's "=...", where no
// variable may nest.
func (p *templateParser) segments(inVar bool) error {
	for {
		if err := p.segment(inVar); err != nil {
			return err
		}
		if p.pos < len(p.s) && p.s[p.pos] == '/' {
			p.pos++
			continue
		}
		return nil
	}
}

func (p *templateParser) segment(inVar bool) error {
	switch {
	case strings.HasPrefix(p.s[p.pos:], "**"):
		p.pos += 2
		p.t.Segments = append(p.t.Segments, Segment{Kind: DeepWildcard})
	case strings.HasPrefix(p.s[p.pos:], "*"):
		p.pos++
		p.t.Segments = append(p.t.Segments, Segment{Kind: Wildcard})
	case strings.HasPrefix(p.s[p.pos:], "{"):
		if inVar {
			return p.fail("variables do not nest")
		}
		return p.variable()
	default:
		lit := p.literal()
		if lit == "" {
			if p.pos < len(p.s) {
				return p.fail("unexpected %q in a segment", p.s[p.pos])
			}
			return p.fail("empty segment")
		}
		p.t.Segments = append(p.t.Segments, Segment{Kind: Literal, Literal: lit})
	}
	if p.pos < len(p.s) && !strings.ContainsRune("/:}", rune(p.s[p.pos])) {
		return p.fail("unexpected %q after a segment", p.s[p.pos])
	}
	return nil
}

// literal reads path characters up to '/', ':', or a template character.
func (p *templateParser) literal() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !isPathChar(c) {
			break
		}
		if c == '%' {
			if p.pos+2 >= len(p.s) || !isHex(p.s[p.pos+1]) || !isHex(p.s[p.pos+2]) {
				break
			}
			p.pos += 2
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

// isPathChar reports whether c may appear in a literal: RFC 3986's pchar
// without ':' (which starts a verb) and '=' and '*' (template syntax).
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~%!$&'()+,;@", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (p *templateParser) variable() error {
	p.pos++ // '{'
	var path []string
	for {
		start := p.pos
		for p.pos < len(p.s) && isIdentChar(p.s[p.pos], p.pos == start) {
			p.pos++
		}
		if p.pos == start {
			return p.fail("a variable names a field: an identifier")
		}
		path = append(path, p.s[start:p.pos])
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			continue
		}
		break
	}
	v := Var{FieldPath: path, Start: len(p.t.Segments)}
	if p.pos < len(p.s) && p.s[p.pos] == '=' {
		p.pos++
		if err := p.segments(true); err != nil {
			return err
		}
	} else {
		p.t.Segments = append(p.t.Segments, Segment{Kind: Wildcard})
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '}' {
		return p.fail("variable %q is not closed by '}'", strings.Join(path, "."))
	}
	p.pos++
	v.End = len(p.t.Segments)
	p.t.Vars = append(p.t.Vars, v)
	return nil
}

func isIdentChar(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// String returns the template in its canonical form ({var} for {var=*}).
func (t *Template) String() string {
	var b strings.Builder
	vi := 0
	for i := 0; i < len(t.Segments); {
		b.WriteByte('/')
		if vi < len(t.Vars) && t.Vars[vi].Start == i {
			v := t.Vars[vi]
			vi++
			b.WriteString("{" + strings.Join(v.FieldPath, "."))
			if v.End-v.Start != 1 || t.Segments[i].Kind != Wildcard {
				b.WriteByte('=')
				for j := v.Start; j < v.End; j++ {
					if j > v.Start {
						b.WriteByte('/')
					}
					b.WriteString(t.Segments[j].text())
				}
			}
			b.WriteByte('}')
			i = v.End
			continue
		}
		b.WriteString(t.Segments[i].text())
		i++
	}
	if t.Verb != "" {
		b.WriteString(":" + t.Verb)
	}
	return b.String()
}

func (s Segment) text() string {
	switch s.Kind {
	case Wildcard:
		return "*"
	case DeepWildcard:
		return "**"
	}
	return s.Literal
}
