// Package httprule serves gRPC methods over HTTP as their google.api.http
// rules say (google/api/http.proto): it is what the `<file>_http.gox.go`
// files gctl generates call. A route registers on a gox HTTP server (or a
// route group) for the implementation of the service's gRPC server interface,
// so one implementation serves both transports.
//
// A request is bound as http.proto specifies, the way grpc-gateway v2 does:
// the body (protojson) into the whole request message (body: "*") or into
// one field (body: "field"); then the path variables, percent-decoded, into
// the fields they name (nested fields by dotted path; a variable over
// several segments keeps "%2F"); then, unless the body is "*", the query
// parameters into the fields the path and body leave: by proto or JSON name,
// nested by dotted path ("filter.author=x"), repeated by repeating the
// parameter, enums by name or number, and the well-known types by their JSON
// text (a Timestamp in RFC 3339, a Duration as "1.5s", a FieldMask as
// "a,b", a wrapper as its value). A parameter naming no field, a map or a
// message that has no text form, or a field the path binds, is a 400
// INVALID_FIELD naming it; so is an unknown field or a mistyped value in the
// body, and malformed JSON is a 400 MALFORMED_JSON.
//
// Every route runs the server's middleware chain like any gox route. Its
// operation, which middleware selectors and governance rules match, is the
// gRPC full method ("/pkg.Service/Method"), so one rule covers the method on
// both transports; every additional binding of a method shares it. The
// chain runs before the request is bound: the bound, valid request is then
// handed to the chain's decode hooks (middleware.Decoded; the audit
// middleware takes its resource ids from it) before the implementation is
// called.
//
// The reply is the response message (or its response_body field) in
// protojson: JSON names, 64-bit integers as strings, enums by name, the
// well-known types in their JSON forms, unset fields included. An error the
// implementation returns is rendered by the server's error encoder; a gRPC
// status error becomes the gox error of the same class (NotFound → 404,
// its ErrorInfo's reason and metadata kept), as gox's gRPC client decodes it.
//
// Limits of gin's router, which dispatches first: two templates that differ
// only in a verb after a variable ("/v1/{name}" and "/v1/{name}:cancel") or
// only in their variables' names share a route, and registering both panics.
package httprule

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

// Router is where routes register: *http.Server and *http.RouteGroup.
type Router interface {
	HandleOperation(method, relativePath, operation string, h xhttp.HandlerFunc)
}

// Rule is one binding of a method: a google.api.http rule or one of its
// additional_bindings.
type Rule struct {
	Method       string // GET, POST, ... or a custom rule's kind
	Pattern      string // the path template
	Operation    string // the gRPC full method, "/pkg.Service/Method"
	Body         string // "" (none), "*" or a field path of the request
	ResponseBody string // "" (the whole response) or a field of the response
}

// Register registers the route of rule on r, calling fn (a method of the
// service's gRPC server interface). It panics on a rule that cannot bind to
// Req or Resp, which gctl refuses before it generates code.
func Register[Req, Resp any, PReq interface {
	*Req
	proto.Message
}, PResp interface {
	*Resp
	proto.Message
}](r Router, rule Rule, fn func(context.Context, PReq) (PResp, error)) {
	b, err := newBinding(rule, PReq(new(Req)).ProtoReflect().Descriptor(), PResp(new(Resp)).ProtoReflect().Descriptor())
	if err != nil {
		panic(fmt.Sprintf("httprule: %s %s (%s): %v", rule.Method, rule.Pattern, rule.Operation, err))
	}
	r.HandleOperation(rule.Method, b.tmpl.ginPath(), rule.Operation, func(c *xhttp.Context) error {
		req := PReq(new(Req))
		if err := b.bind(c.Request, req.ProtoReflect()); err != nil {
			return err
		}
		// the validation middleware, when on the chain, left its validator in
		// the context: the request is only whole now (the chain ran before the
		// body was read)
		if err := validate.Check(c.Request.Context(), req); err != nil {
			return err
		}
		// so do the chain's decode hooks (audit's resource ids)
		middleware.Decoded(c.Request.Context(), req)
		resp, err := fn(c.Request.Context(), req)
		if err != nil {
			return implError(err)
		}
		buf := bufPool.Get().(*[]byte)
		defer putBuf(buf)
		out, err := b.marshal((*buf)[:0], resp.ProtoReflect())
		if err != nil {
			return errors.Internal("", "cannot encode the response: "+err.Error()).WithCause(err)
		}
		*buf = out
		c.Writer.Header()["Content-Type"] = jsonContentType
		c.Writer.WriteHeader(http.StatusOK)
		_, _ = c.Writer.Write(out)
		return nil
	})
}

// jsonContentType is the reply's Content-Type, shared: net/http only reads it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// binding is a rule resolved against its messages.
type binding struct {
	rule     Rule
	tmpl     *Template
	vars     [][]protoreflect.FieldDescriptor
	body     []protoreflect.FieldDescriptor // nil: none or "*"
	respBody protoreflect.FieldDescriptor
	bound    map[string]bool // field paths bound by path or body
}

func newBinding(rule Rule, in, out protoreflect.MessageDescriptor) (*binding, error) {
	t, err := ParseTemplate(rule.Pattern)
	if err != nil {
		return nil, err
	}
	b := &binding{rule: rule, tmpl: t, bound: map[string]bool{}}
	for _, v := range t.Vars {
		fds, err := resolvePath(in, v.FieldPath, false)
		if err != nil {
			return nil, err
		}
		b.vars = append(b.vars, fds)
		b.bound[protoPath(fds)] = true
	}
	if rule.Body != "" && rule.Body != "*" {
		if b.body, err = resolvePath(in, strings.Split(rule.Body, "."), false); err != nil {
			return nil, err
		}
		b.bound[protoPath(b.body)] = true
	}
	if rule.ResponseBody != "" {
		fds, err := resolvePath(out, []string{rule.ResponseBody}, false)
		if err != nil {
			return nil, err
		}
		b.respBody = fds[0]
	}
	return b, nil
}

func protoPath(fds []protoreflect.FieldDescriptor) string {
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = string(fd.Name())
	}
	return strings.Join(names, ".")
}

// bind fills m from the request: body, then path, then query.
func (b *binding) bind(r *http.Request, m protoreflect.Message) error {
	if b.rule.Body != "" {
		if err := b.bindBody(r, m); err != nil {
			return err
		}
	}
	vals, ok := b.tmpl.match(r.URL.EscapedPath())
	if !ok {
		// a variable of several segments sent as one, its '/' escaped
		// (what an OpenAPI client does with a path parameter): match the
		// decoded path, as gin routed it
		vals, ok = b.tmpl.match(escapeSegments(r.URL.Path))
	}
	if !ok {
		return errors.NotFound("ROUTE_NOT_FOUND", "no route matches the request path")
	}
	for i, fds := range b.vars {
		if err := setPath(m, fds, vals[i]); err != nil {
			name := strings.Join(b.tmpl.Vars[i].FieldPath, ".")
			return invalidField(name, fmt.Sprintf("path parameter %q: %v", name, err))
		}
	}
	if b.rule.Body == "*" || r.URL.RawQuery == "" {
		return nil
	}
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return errors.BadRequest("INVALID_FIELD", "malformed query: "+err.Error()).WithCause(err)
	}
	for _, kv := range query {
		fds, err := resolvePath(m.Descriptor(), strings.Split(kv[0], "."), true)
		if err != nil {
			return invalidField(kv[0], fmt.Sprintf("query parameter %q: %v", kv[0], err))
		}
		if p := protoPath(fds); b.boundPrefix(p) {
			return invalidField(kv[0], fmt.Sprintf("query parameter %q: field %s is bound by the path or the body", kv[0], p))
		}
		if err := setPath(m, fds, kv[1]); err != nil {
			return invalidField(kv[0], fmt.Sprintf("query parameter %q: %v", kv[0], err))
		}
	}
	return nil
}

// boundPrefix reports whether p, or a field p is inside, is bound.
func (b *binding) boundPrefix(p string) bool {
	for {
		if b.bound[p] {
			return true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// parseQuery splits a query into its parameters in order; url.ParseQuery
// would lose the order of repeated parameters of different names, and
// silently drop a malformed one.
func parseQuery(raw string) ([][2]string, error) {
	var out [][2]string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err := queryUnescape(k)
		if err != nil {
			return nil, err
		}
		v, err = queryUnescape(v)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

var bodyUnmarshal = protojson.UnmarshalOptions{}

// bindBody reads the body into m or into the rule's body field.
func (b *binding) bindBody(r *http.Request, m protoreflect.Message) error {
	buf := bufPool.Get().(*[]byte)
	defer putBuf(buf)
	data, err := readAll((*buf)[:0], r.Body)
	*buf = data
	if err != nil {
		if maxErr, ok := stderrors.AsType[*http.MaxBytesError](err); ok {
			return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge,
				fmt.Sprintf("request body is larger than %d bytes", maxErr.Limit)).WithCause(err)
		}
		return errors.BadRequest("MALFORMED_JSON", "cannot read the request body: "+err.Error()).WithCause(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil // an empty message, as gRPC has it
	}
	if b.body == nil {
		if err := bodyUnmarshal.Unmarshal(data, m.Interface()); err != nil {
			return jsonError(err, "")
		}
		return nil
	}
	// the body is the field's JSON value: decode it as the field of a
	// message of the field's parent type, and move it over
	parent := m
	for _, fd := range b.body[:len(b.body)-1] {
		parent = parent.Mutable(fd).Message()
	}
	fd := b.body[len(b.body)-1]
	tmp := parent.New()
	wrapped := make([]byte, 0, len(data)+len(fd.JSONName())+4)
	wrapped = append(wrapped, '{', '"')
	wrapped = append(wrapped, fd.JSONName()...)
	wrapped = append(wrapped, '"', ':')
	wrapped = append(wrapped, data...)
	wrapped = append(wrapped, '}')
	if err := bodyUnmarshal.Unmarshal(wrapped, tmp.Interface()); err != nil {
		return jsonError(err, b.rule.Body)
	}
	parent.Set(fd, tmp.Get(fd))
	return nil
}

var (
	unknownFieldRe = regexp.MustCompile(`unknown field "([^"]*)"`)
	invalidValueRe = regexp.MustCompile(`invalid value for [^ ]+ (?:type|field) ([A-Za-z0-9_.]+)`)
)

// jsonError turns protojson's error into a gox 400: INVALID_FIELD naming
// the field for an unknown field or a mistyped value, else MALFORMED_JSON.
// within prefixes field names when the body is one field.
func jsonError(err error, within string) error {
	msg := strings.TrimPrefix(err.Error(), "proto: ")
	name := ""
	if m := unknownFieldRe.FindStringSubmatch(msg); m != nil {
		name = m[1]
	} else if m := invalidValueRe.FindStringSubmatch(msg); m != nil {
		name = m[1]
	}
	if name != "" {
		if within != "" {
			name = within + "." + name
		}
		return invalidField(name, "request body: "+msg).WithCause(err)
	}
	return errors.BadRequest("MALFORMED_JSON", "malformed JSON: "+msg).WithCause(err)
}

func invalidField(name, msg string) *errors.Error {
	return errors.BadRequest("INVALID_FIELD", msg).WithMetadata(map[string]string{"field": name})
}

var respMarshal = protojson.MarshalOptions{EmitUnpopulated: true}

// marshal appends the response, or its response_body field, to dst.
func (b *binding) marshal(dst []byte, m protoreflect.Message) ([]byte, error) {
	if b.respBody == nil {
		return respMarshal.MarshalAppend(dst, m.Interface())
	}
	fd := b.respBody
	if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
		return respMarshal.MarshalAppend(dst, m.Get(fd).Message().Interface())
	}
	// a scalar, list or map: its JSON value within the message's
	only := m.New()
	if m.Has(fd) {
		only.Set(fd, m.Get(fd))
	}
	whole, err := respMarshal.Marshal(only.Interface())
	if err != nil {
		return nil, err
	}
	v, err := fieldJSON(whole, fd.JSONName())
	return append(dst, v...), err
}

// implError is the error the implementation returned as the chain and the
// error encoder see it: a gRPC status becomes the gox error of its class.
func implError(err error) error {
	if _, ok := stderrors.AsType[*errors.Error](err); ok {
		return err
	}
	if _, ok := status.FromError(err); ok {
		return xgrpc.FromStatus(err)
	}
	return err
}
