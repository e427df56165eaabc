package httprule

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Binding is one HTTP binding of a method: its google.api.http rule or one
// of the rule's additional_bindings, checked against the method's messages.
type Binding struct {
	Method       protoreflect.MethodDescriptor
	HTTPMethod   string // GET, POST, PUT, PATCH, DELETE, or a custom rule's kind
	Pattern      string // the path template as written
	Template     *Template
	Body         string // "", "*" or a top-level field of the request
	ResponseBody string // "" or a top-level field of the response
	Index        int    // 0 for the rule, i+1 for additional_bindings[i]
	Pos          Pos    // where the rule is
}

// Operation is the binding's operation name: the gRPC full method.
func (b *Binding) Operation() string {
	return "/" + string(b.Method.Parent().FullName()) + "/" + string(b.Method.Name())
}

// DeclaredError is an error a method declares in its leading comment
// ("errors: 404 BOOK_NOT_FOUND, 409 BOOK_EXISTS").
type DeclaredError struct {
	Status int
	Reason string
}

// Method is an RPC with HTTP bindings.
type Method struct {
	Desc     protoreflect.MethodDescriptor
	Bindings []*Binding
	Errors   []DeclaredError
	Comment  string // the leading comment without the errors: lines
}

// Service is a service with at least one HTTP binding.
type Service struct {
	Desc    protoreflect.ServiceDescriptor
	Methods []*Method
}

// Pos is a position in a .proto file, 1-based.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a rule gctl cannot serve, at Pos.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// field numbers of the descriptor paths to a method's google.api.http option
const (
	fileServiceField       = 6
	serviceMethodField     = 2
	methodOptionsField     = 4
	ruleAdditionalBindings = 11
)

// Services returns the services of fd that have HTTP bindings, every binding
// checked: a template that does not parse, a variable naming a field the
// request does not have or one that cannot bind (repeated, map, message),
// a body or response_body naming a missing field, a streaming method, two
// bindings of the file with the same method and path, and a malformed
// errors: declaration are each an *Error naming the file, line and column.
func Services(fd protoreflect.FileDescriptor) ([]*Service, error) {
	var out []*Service
	seen := map[string]*Binding{} // "GET /v1/x/{}"
	for si := 0; si < fd.Services().Len(); si++ {
		sd := fd.Services().Get(si)
		svc := &Service{Desc: sd}
		for mi := 0; mi < sd.Methods().Len(); mi++ {
			md := sd.Methods().Get(mi)
			rule, err := httpRule(md)
			if err != nil {
				return nil, &Error{Pos: methodPos(fd, si, mi, nil), Msg: err.Error()}
			}
			if rule == nil {
				continue
			}
			optPath := []int32{fileServiceField, int32(si), serviceMethodField, int32(mi), methodOptionsField, int32(annotations.E_Http.TypeDescriptor().Number())}
			m := &Method{Desc: md}
			comment, errs, err := declaredErrors(fd, md)
			if err != nil {
				return nil, err
			}
			m.Comment, m.Errors = comment, errs
			rules := append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...)
			for i, r := range rules {
				path := optPath
				if i > 0 {
					path = append(slices.Clone(optPath), ruleAdditionalBindings, int32(i-1))
					if len(r.GetAdditionalBindings()) > 0 {
						return nil, &Error{Pos: pos(fd, path), Msg: "an additional binding has no additional_bindings of its own"}
					}
				}
				b, err := newBinding(md, r, i, pos(fd, path))
				if err != nil {
					return nil, err
				}
				key := b.HTTPMethod + " " + shape(b.Template)
				if prev, dup := seen[key]; dup {
					return nil, b.fail("%s %s has the same method and path as the binding of %s at %s",
						b.HTTPMethod, b.Pattern, prev.Method.FullName(), prev.Pos)
				}
				seen[key] = b
				m.Bindings = append(m.Bindings, b)
			}
			svc.Methods = append(svc.Methods, m)
		}
		if len(svc.Methods) > 0 {
			out = append(out, svc)
		}
	}
	return out, nil
}

// shape is a template with its variables' names left out: two templates of
// the same shape match the same paths.
func shape(t *Template) string {
	var b strings.Builder
	for _, s := range t.Segments {
		b.WriteString("/" + s.text())
	}
	return b.String() + ":" + t.Verb
}

// httpRule reads the method's google.api.http option, nil for none. The
// options are decoded again against the registry, so that the rule is found
// whether the compiler resolved the extension or kept it unknown.
func httpRule(md protoreflect.MethodDescriptor) (*annotations.HttpRule, error) {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
		return nil, nil
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return nil, err
	}
	decoded := &descriptorpb.MethodOptions{}
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, decoded); err != nil {
		return nil, err
	}
	if !proto.HasExtension(decoded, annotations.E_Http) {
		return nil, nil
	}
	return proto.GetExtension(decoded, annotations.E_Http).(*annotations.HttpRule), nil
}

// fail is an error at the binding's rule; an additional binding, which the
// compiler's source info does not locate on its own, is named by its index.
func (b *Binding) fail(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if b.Index > 0 {
		msg = fmt.Sprintf("additional_bindings[%d]: %s", b.Index-1, msg)
	}
	return &Error{Pos: b.Pos, Msg: msg}
}

func newBinding(md protoreflect.MethodDescriptor, r *annotations.HttpRule, index int, p Pos) (*Binding, error) {
	b := &Binding{Method: md, Body: r.GetBody(), ResponseBody: r.GetResponseBody(), Index: index, Pos: p}
	switch pat := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		b.HTTPMethod, b.Pattern = "GET", pat.Get
	case *annotations.HttpRule_Put:
		b.HTTPMethod, b.Pattern = "PUT", pat.Put
	case *annotations.HttpRule_Post:
		b.HTTPMethod, b.Pattern = "POST", pat.Post
	case *annotations.HttpRule_Delete:
		b.HTTPMethod, b.Pattern = "DELETE", pat.Delete
	case *annotations.HttpRule_Patch:
		b.HTTPMethod, b.Pattern = "PATCH", pat.Patch
	case *annotations.HttpRule_Custom:
		b.HTTPMethod, b.Pattern = pat.Custom.GetKind(), pat.Custom.GetPath()
		if !regexp.MustCompile(`^[A-Z]+$`).MatchString(b.HTTPMethod) {
			return nil, b.fail("custom rule kind %q is not an HTTP method (upper-case letters)", b.HTTPMethod)
		}
	default:
		return nil, b.fail("the rule of %s has no pattern (get, put, post, delete, patch or custom)", md.FullName())
	}
	if md.IsStreamingClient() || md.IsStreamingServer() {
		return nil, b.fail("%s streams; gox serves only unary methods over HTTP", md.FullName())
	}
	t, err := ParseTemplate(b.Pattern)
	if err != nil {
		return nil, b.fail("invalid path template %q: %v", b.Pattern, err)
	}
	b.Template = t
	in, out := md.Input(), md.Output()
	bound := map[string]bool{}
	for _, v := range t.Vars {
		name := strings.Join(v.FieldPath, ".")
		fd, err := lookup(in, v.FieldPath)
		if err != nil {
			return nil, b.fail("path variable {%s} in %q: %v", name, b.Pattern, err)
		}
		if fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			return nil, b.fail("path variable {%s} in %q: field %s is %s; a path variable binds a singular field of a scalar or enum type",
				name, b.Pattern, fd.FullName(), describe(fd))
		}
		bound[name] = true
	}
	switch b.Body {
	case "", "*":
	default:
		fd := in.Fields().ByName(protoreflect.Name(b.Body))
		if fd == nil {
			return nil, b.fail("body %q: %s has no field %q (body names a top-level field of the request, or is \"*\")", b.Body, in.FullName(), b.Body)
		}
		if bound[b.Body] {
			return nil, b.fail("body %q: the field is bound by the path too", b.Body)
		}
	}
	if b.ResponseBody != "" && out.Fields().ByName(protoreflect.Name(b.ResponseBody)) == nil {
		return nil, b.fail("response_body %q: %s has no field %q (response_body names a top-level field of the response)", b.ResponseBody, out.FullName(), b.ResponseBody)
	}
	return b, nil
}

// lookup resolves a dotted field path by proto names.
func lookup(md protoreflect.MessageDescriptor, path []string) (protoreflect.FieldDescriptor, error) {
	var fd protoreflect.FieldDescriptor
	for i, name := range path {
		if i > 0 {
			if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
				return nil, fmt.Errorf("field %s is %s, so it has no field %q", fd.FullName(), describe(fd), name)
			}
			md = fd.Message()
		}
		fd = md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("%s has no field %q", md.FullName(), name)
		}
	}
	return fd, nil
}

func describe(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.IsMap():
		return "a map"
	case fd.IsList():
		return "repeated"
	case fd.Kind() == protoreflect.MessageKind:
		return "a message (" + string(fd.Message().FullName()) + ")"
	}
	return "a " + fd.Kind().String()
}

func pos(fd protoreflect.FileDescriptor, path []int32) Pos {
	locs := fd.SourceLocations()
	for n := len(path); n > 0; n-- {
		if l := locs.ByPath(protoreflect.SourcePath(path[:n])); l.Path != nil || l.StartLine != 0 || l.StartColumn != 0 {
			return Pos{File: fd.Path(), Line: l.StartLine + 1, Col: l.StartColumn + 1}
		}
	}
	return Pos{File: fd.Path(), Line: 1, Col: 1}
}

func methodPos(fd protoreflect.FileDescriptor, si, mi int, extra []int32) Pos {
	return pos(fd, append([]int32{fileServiceField, int32(si), serviceMethodField, int32(mi)}, extra...))
}

var (
	errorsLineRe = regexp.MustCompile(`^\s*errors:(.*)$`)
	reasonRe     = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// declaredErrors reads the "errors:" lines of md's leading comment: each a
// comma-separated list of "<status> <REASON>", the status 400 to 599, the
// reason in upper snake case. It returns the comment without those lines.
func declaredErrors(fd protoreflect.FileDescriptor, md protoreflect.MethodDescriptor) (string, []DeclaredError, error) {
	loc := fd.SourceLocations().ByDescriptor(md)
	text := strings.TrimSuffix(loc.LeadingComments, "\n")
	if text == "" {
		return "", nil, nil
	}
	lines := strings.Split(text, "\n")
	var keep []string
	var out []DeclaredError
	for i, line := range lines {
		m := errorsLineRe.FindStringSubmatch(line)
		if m == nil {
			keep = append(keep, line)
			continue
		}
		// the comment ends on the line above the rpc
		p := Pos{File: fd.Path(), Line: loc.StartLine - len(lines) + i + 1, Col: 1}
		for item := range strings.SplitSeq(m[1], ",") {
			f := strings.Fields(item)
			if len(f) != 2 {
				return "", nil, &Error{Pos: p, Msg: fmt.Sprintf("errors: declaration %q of %s: each item is \"<status> <REASON>\", like \"404 BOOK_NOT_FOUND\"", strings.TrimSpace(item), md.FullName())}
			}
			code, err := strconv.Atoi(f[0])
			if err != nil || code < 400 || code > 599 {
				return "", nil, &Error{Pos: p, Msg: fmt.Sprintf("errors: declaration %q of %s: the status %q is not an error status (400 to 599)", strings.TrimSpace(item), md.FullName(), f[0])}
			}
			if !reasonRe.MatchString(f[1]) {
				return "", nil, &Error{Pos: p, Msg: fmt.Sprintf("errors: declaration %q of %s: the reason %q is not in upper snake case (BOOK_NOT_FOUND)", strings.TrimSpace(item), md.FullName(), f[1])}
			}
			out = append(out, DeclaredError{Status: code, Reason: f[1]})
		}
	}
	return cleanComment(strings.Join(keep, "\n")), out, nil
}
