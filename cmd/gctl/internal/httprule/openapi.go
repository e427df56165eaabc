package httprule

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/swaggest/openapi-go/openapi31"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OpenAPIOptions shapes the document OpenAPI writes.
type OpenAPIOptions struct {
	Title   string // info.title; default: the services' full names
	Version string // info.version; default "1.0.0"
	// Problem describes error responses as RFC 9457 application/problem+json
	// (transport/http.ProblemEncoder, http.error_format: problem) instead of
	// gox's envelope (EnvelopeEncoder, the default).
	Problem bool
}

// Schema names of gox's error bodies in components/schemas.
const (
	EnvelopeSchema = "gox.Error"
	ProblemSchema  = "gox.Problem"
)

// chainErrors are the errors a generated route can answer with before or
// around the implementation, by status: the binding's 400s (httprule), the
// router's 404 and 405, the body limit's 413, governance's refusals (rate
// limit, shedding, bulkhead, deadline), the recovery middleware's panic,
// the timeout's 504. A status without a reason here (an implementation's
// gRPC status without ErrorInfo) has none in the body.
var chainErrors = map[int][]string{
	http.StatusBadRequest:            {"INVALID_FIELD", "MALFORMED_JSON"},
	http.StatusNotFound:              {"ROUTE_NOT_FOUND"},
	http.StatusMethodNotAllowed:      {"METHOD_NOT_ALLOWED"},
	http.StatusRequestEntityTooLarge: {"PAYLOAD_TOO_LARGE"},
	http.StatusTooManyRequests:       {"RATE_LIMITED"},
	http.StatusInternalServerError:   {"INTERNAL", "PANIC"},
	http.StatusServiceUnavailable:    {"OVERLOADED", "CONCURRENCY_LIMITED", "RATE_LIMITER_UNAVAILABLE", "UNAVAILABLE"},
	http.StatusGatewayTimeout:        {"DEADLINE_TOO_SHORT", "TIMEOUT"},
}

// OpenAPI returns an OpenAPI 3.1 document of the HTTP bindings of files:
// an operation per binding (additional_bindings included), its operationId
// the method's ("Library_GetBook", then "Library_GetBook_1", ... for
// additional bindings), its summary and description the method's leading
// comment, its path and query parameters, request body and 200 response in
// protojson's mapping, and its error responses: the ones gox's chain
// answers with and the ones the method declares (see the package doc), each
// status with its reasons as an enum. Messages are in components/schemas
// under their full proto names. It returns Services' errors.
func OpenAPI(files []protoreflect.FileDescriptor, o OpenAPIOptions) (*openapi31.Spec, error) {
	g := &oapi{schemas: map[string]map[string]any{}, shapes: map[string]string{}, opts: o}
	spec := &openapi31.Spec{Openapi: "3.1.0", Paths: &openapi31.Paths{MapOfPathItemValues: map[string]openapi31.PathItem{}}}
	var names []string
	for _, fd := range files {
		svcs, err := Services(fd)
		if err != nil {
			return nil, err
		}
		for _, s := range svcs {
			names = append(names, string(s.Desc.FullName()))
			spec.Tags = append(spec.Tags, openapi31.Tag{Name: string(s.Desc.Name()), Description: ptrOr(comment(fd, s.Desc))})
			for _, m := range s.Methods {
				for _, b := range m.Bindings {
					if err := g.operation(spec, s, m, b); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	spec.Info.Title = o.Title
	if spec.Info.Title == "" {
		spec.Info.Title = strings.Join(names, ", ")
	}
	spec.Info.Version = o.Version
	if spec.Info.Version == "" {
		spec.Info.Version = "1.0.0"
	}
	g.errorSchemas()
	spec.Components = &openapi31.Components{Schemas: g.schemas}
	return spec, nil
}

// OpenAPIJSON is OpenAPI's document as indented JSON.
func OpenAPIJSON(files []protoreflect.FileDescriptor, o OpenAPIOptions) ([]byte, error) {
	spec, err := OpenAPI(files, o)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

type oapi struct {
	schemas map[string]map[string]any
	shapes  map[string]string // a path with its parameters' names left out → the path
	opts    OpenAPIOptions
	plain   bool // messages without their buf.validate rules (pvschema.go)
}

var pathParamRe = regexp.MustCompile(`\{[^}]*\}`)

func ptrOr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func comment(fd protoreflect.FileDescriptor, d protoreflect.Descriptor) string {
	return cleanComment(fd.SourceLocations().ByDescriptor(d).LeadingComments)
}

// cleanComment is a comment's text without the space that follows "//" on
// each line, and without leading and trailing blank lines.
func cleanComment(c string) string {
	lines := strings.Split(c, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

func fileOf(d protoreflect.Descriptor) protoreflect.FileDescriptor { return d.ParentFile() }

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// openAPIPath is the template as an OpenAPI path: a variable is one
// parameter named by its field path (a value of several segments is sent
// with its '/' escaped, %2F), an unnamed wildcard a parameter "_wildN".
func openAPIPath(t *Template) (string, map[string]int) {
	var b strings.Builder
	wild := map[string]int{}
	vi := 0
	for i := 0; i < len(t.Segments); {
		b.WriteByte('/')
		if vi < len(t.Vars) && t.Vars[vi].Start == i {
			v := t.Vars[vi]
			vi++
			b.WriteString("{" + strings.Join(v.FieldPath, ".") + "}")
			i = v.End
			continue
		}
		switch t.Segments[i].Kind {
		case Literal:
			b.WriteString(t.Segments[i].Literal)
		default:
			name := "_wild" + strconv.Itoa(i)
			wild[name] = i
			b.WriteString("{" + name + "}")
		}
		i++
	}
	if t.Verb != "" {
		b.WriteString(":" + t.Verb)
	}
	return b.String(), wild
}

// varPattern is the pattern of a variable's value: its segments, '*' any
// segment, '**' the rest.
func varPattern(t *Template, v Var) string {
	var parts []string
	for _, s := range t.Segments[v.Start:v.End] {
		switch s.Kind {
		case Wildcard:
			parts = append(parts, "[^/]+")
		case DeepWildcard:
			parts = append(parts, ".*")
		default:
			parts = append(parts, regexpQuote(s.Literal))
		}
	}
	return "^" + strings.Join(parts, "/") + "$"
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (g *oapi) operation(spec *openapi31.Spec, s *Service, m *Method, b *Binding) error {
	op := openapi31.Operation{Tags: []string{string(s.Desc.Name())}}
	id := string(s.Desc.Name()) + "_" + string(m.Desc.Name())
	if b.Index > 0 {
		id += "_" + strconv.Itoa(b.Index)
	}
	op.ID = &id
	if m.Comment != "" {
		summary, _, _ := strings.Cut(m.Comment, "\n")
		op.Summary = &summary
		op.Description = &m.Comment
	}
	in := m.Desc.Input()
	path, wild := openAPIPath(b.Template)
	// OpenAPI has one path per shape, its parameters' names aside: a
	// binding of a shape already in the document takes that path and its
	// parameters' names (each parameter's description names its field)
	shapeKey := pathParamRe.ReplaceAllString(path, "{}")
	names := pathParamRe.FindAllString(path, -1)
	rename := map[string]string{}
	if prev, ok := g.shapes[shapeKey]; ok {
		prevNames := pathParamRe.FindAllString(prev, -1)
		for i, n := range names {
			rename[strings.Trim(n, "{}")] = strings.Trim(prevNames[i], "{}")
		}
		path = prev
	} else {
		g.shapes[shapeKey] = path
	}
	paramName := func(n string) (string, string) {
		if r, ok := rename[n]; ok && r != n {
			return r, "binds " + n + "; "
		}
		return n, ""
	}
	// path parameters
	for _, v := range b.Template.Vars {
		fd, _ := lookup(in, v.FieldPath)
		sch := g.scalarSchema(fd)
		if !(v.End-v.Start == 1 && b.Template.Segments[v.Start].Kind == Wildcard) {
			sch = map[string]any{"type": "string", "pattern": varPattern(b.Template, v)}
		}
		if pf, leaf := paramRules(in, v.FieldPath); leaf != nil {
			sch = g.applyRules(leaf, &pf, sch)
		}
		name, note := paramName(strings.Join(v.FieldPath, "."))
		p := openapi31.Parameter{Name: name, In: openapi31.ParameterInPath, Required: ptrBool(true),
			Schema: sch, Description: ptrOr(strings.TrimSuffix(note+comment(fileOf(fd), fd), "; "))}
		op.Parameters = append(op.Parameters, openapi31.ParameterOrReference{Parameter: &p})
	}
	for _, n := range slices.Sorted(maps.Keys(wild)) {
		name, _ := paramName(n)
		p := openapi31.Parameter{Name: name, In: openapi31.ParameterInPath, Required: ptrBool(true),
			Schema: map[string]any{"type": "string"}, Description: ptrOr("a segment the template matches by '*' and does not bind")}
		op.Parameters = append(op.Parameters, openapi31.ParameterOrReference{Parameter: &p})
	}
	// query parameters: the fields the path and body leave
	if b.Body != "*" {
		bound := map[string]bool{}
		for _, v := range b.Template.Vars {
			bound[strings.Join(v.FieldPath, ".")] = true
		}
		if b.Body != "" {
			bound[b.Body] = true
		}
		g.queryParams(&op, in, "", "", bound, true, true, map[protoreflect.FullName]bool{})
	}
	// body
	switch b.Body {
	case "":
	case "*":
		var paths [][]string
		for _, v := range b.Template.Vars {
			paths = append(paths, v.FieldPath)
		}
		op.RequestBody = g.requestBody(g.bodySchema(in, paths))
	default:
		op.RequestBody = g.requestBody(g.bodyFieldSchema(in.Fields().ByName(protoreflect.Name(b.Body)), b.Template))
	}
	// responses
	out := m.Desc.Output()
	var resp map[string]any
	if b.ResponseBody != "" {
		resp, _ = g.ruledField(out.Fields().ByName(protoreflect.Name(b.ResponseBody)))
	} else {
		resp = g.messageSchema(out)
	}
	op.Responses = &openapi31.Responses{MapOfResponseOrReferenceValues: map[string]openapi31.ResponseOrReference{
		"200": {Response: &openapi31.Response{Description: "OK", Content: map[string]openapi31.MediaType{"application/json": {Schema: resp}}}},
	}}
	g.errorResponses(op.Responses, m, b)
	item := spec.Paths.MapOfPathItemValues[path]
	var slot **openapi31.Operation
	switch b.HTTPMethod {
	case http.MethodGet:
		slot = &item.Get
	case http.MethodPut:
		slot = &item.Put
	case http.MethodPost:
		slot = &item.Post
	case http.MethodDelete:
		slot = &item.Delete
	case http.MethodPatch:
		slot = &item.Patch
	case http.MethodHead:
		slot = &item.Head
	case http.MethodOptions:
		slot = &item.Options
	case http.MethodTrace:
		slot = &item.Trace
	default:
		return nil // a custom method OpenAPI has no slot for: served, not described
	}
	*slot = &op
	spec.Paths.MapOfPathItemValues[path] = item
	return nil
}

func ptrBool(b bool) *bool { return &b }

// requestBody is a request body of the schema, required when an empty
// body (the empty message) breaks a buf.validate rule.
func (g *oapi) requestBody(schema map[string]any, required bool) *openapi31.RequestBodyOrReference {
	return &openapi31.RequestBodyOrReference{RequestBody: &openapi31.RequestBody{
		Content:  map[string]openapi31.MediaType{"application/json": {Schema: schema}},
		Required: ptrBool(required),
	}}
}

// queryParams adds a parameter per field of md the request can set from the
// query: scalars, enums, repeated ones, the well-known types with a text
// form, and the fields of nested messages by dotted path (JSON names). Their
// buf.validate rules are constraints of their schemas; a parameter is
// required when its field and the messages above it (all set once it is)
// are (checked: md's rules apply, not under a field they are ignored on;
// required: md is set whenever the request is valid).
func (g *oapi) queryParams(op *openapi31.Operation, md protoreflect.MessageDescriptor, protoPrefix, jsonPrefix string,
	bound map[string]bool, checked, required bool, visiting map[protoreflect.FullName]bool) {
	if visiting[md.FullName()] {
		return // a recursive message: its fields are reachable above
	}
	visiting[md.FullName()] = true
	defer delete(visiting, md.FullName())
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		pp, jp := protoPrefix+string(fd.Name()), jsonPrefix+fd.JSONName()
		if bound[pp] || fd.IsMap() {
			continue
		}
		var pf pvField
		if checked {
			pf = pvFieldOf(fd)
		}
		var sch map[string]any
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			text, ok := wktText(fd.Message())
			switch {
			case ok:
				sch = text
			case !fd.IsList():
				g.queryParams(op, fd.Message(), pp+".", jp+".", bound, checked && !pf.always, required && pf.required, visiting)
				continue
			default:
				continue // a repeated message has no query form
			}
		} else {
			sch = g.scalarSchema(fd)
		}
		if fd.IsList() {
			sch = map[string]any{"type": "array", "items": sch}
		}
		sch = g.applyRules(fd, &pf, sch)
		p := openapi31.Parameter{Name: jp, In: openapi31.ParameterInQuery, Schema: sch, Description: ptrOr(comment(fileOf(fd), fd))}
		if pf.required && required {
			p.Required = ptrBool(true)
		}
		op.Parameters = append(op.Parameters, openapi31.ParameterOrReference{Parameter: &p})
	}
}

// wktText is the schema of a well-known type a query parameter sets from
// text, false for one it cannot.
func wktText(md protoreflect.MessageDescriptor) (map[string]any, bool) {
	switch md.FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask":
		return wkt(md), true
	}
	if strings.HasSuffix(string(md.FullName()), "Value") && md.ParentFile().Path() == "google/protobuf/wrappers.proto" {
		return scalarKindSchema(md.Fields().ByName("value")), true
	}
	return nil, false
}

// fieldSchema is the schema of a field's JSON value, protojson's mapping.
func (g *oapi) fieldSchema(fd protoreflect.FieldDescriptor) map[string]any {
	if fd.IsMap() {
		return map[string]any{"type": "object", "additionalProperties": g.valueSchema(fd.MapValue())}
	}
	v := g.valueSchema(fd)
	if fd.IsList() {
		return map[string]any{"type": "array", "items": v}
	}
	// protojson writes an unset message (and a proto3 optional scalar) as
	// null when it emits unpopulated fields, and reads null as unset
	if fd.Kind() == protoreflect.MessageKind && fd.ContainingOneof() == nil || fd.HasOptionalKeyword() {
		if _, isRef := v["$ref"]; isRef || v["type"] == nil {
			if len(v) == 0 {
				return v // any value, null included
			}
			return map[string]any{"anyOf": []any{v, map[string]any{"type": "null"}}}
		}
		return withNull(v)
	}
	return v
}

// withNull adds "null" to a schema's type.
func withNull(s map[string]any) map[string]any {
	c := maps.Clone(s)
	switch t := s["type"].(type) {
	case string:
		c["type"] = []any{t, "null"}
	case []any:
		if !slices.Contains(t, any("null")) {
			c["type"] = append(slices.Clone(t), "null")
		}
	}
	return c
}

// valueSchema is the schema of one value of fd (an element of a list).
func (g *oapi) valueSchema(fd protoreflect.FieldDescriptor) map[string]any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return g.messageSchema(fd.Message())
	case protoreflect.EnumKind:
		return g.enumSchema(fd.Enum())
	}
	return scalarKindSchema(fd)
}

// scalarSchema is the schema of a scalar or enum field's value.
func (g *oapi) scalarSchema(fd protoreflect.FieldDescriptor) map[string]any {
	if fd.Kind() == protoreflect.EnumKind {
		return g.enumSchema(fd.Enum())
	}
	return scalarKindSchema(fd)
}

func scalarKindSchema(fd protoreflect.FieldDescriptor) map[string]any {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return map[string]any{"type": "boolean"}
	case protoreflect.StringKind:
		return map[string]any{"type": "string"}
	case protoreflect.BytesKind:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return map[string]any{"type": "integer", "format": "int32"}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0, "maximum": uint32(1<<32 - 1)}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return map[string]any{"type": "string", "format": "int64", "pattern": `^-?[0-9]+$`}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return map[string]any{"type": "string", "format": "uint64", "pattern": `^[0-9]+$`}
	case protoreflect.FloatKind:
		return map[string]any{"type": "number", "format": "float"}
	case protoreflect.DoubleKind:
		return map[string]any{"type": "number", "format": "double"}
	}
	return map[string]any{}
}

func (g *oapi) enumSchema(ed protoreflect.EnumDescriptor) map[string]any {
	name := string(ed.FullName())
	if ed.FullName() == "google.protobuf.NullValue" {
		return map[string]any{"type": "null"}
	}
	if _, ok := g.schemas[name]; !ok {
		var vals []any
		for i := 0; i < ed.Values().Len(); i++ {
			vals = append(vals, string(ed.Values().Get(i).Name()))
		}
		s := map[string]any{"type": "string", "enum": vals}
		if c := comment(fileOf(ed), ed); c != "" {
			s["description"] = c
		}
		g.schemas[name] = s
	}
	return ref(name)
}

// wkt is the schema of a well-known type in protojson's JSON form, nil for
// a message that is not one.
func wkt(md protoreflect.MessageDescriptor) map[string]any {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return map[string]any{"type": "string", "format": "date-time"}
	case "google.protobuf.Duration":
		return map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,9})?s$`, "description": "a duration in seconds with an s suffix, like \"1.5s\""}
	case "google.protobuf.FieldMask":
		return map[string]any{"type": "string", "description": "field paths, comma-separated, in JSON names"}
	case "google.protobuf.Struct":
		return map[string]any{"type": "object"}
	case "google.protobuf.Value":
		return map[string]any{}
	case "google.protobuf.ListValue":
		return map[string]any{"type": "array"}
	case "google.protobuf.Empty":
		return map[string]any{"type": "object", "additionalProperties": false}
	case "google.protobuf.Any":
		return map[string]any{"type": "object", "required": []any{"@type"},
			"properties": map[string]any{"@type": map[string]any{"type": "string", "description": "the URL of the contained message's type"}}}
	}
	if md.ParentFile().Path() == "google/protobuf/wrappers.proto" {
		return withNull(scalarKindSchema(md.Fields().ByName("value")))
	}
	return nil
}

// messageSchema is a $ref to md's schema, added to components/schemas
// under md's full name (a well-known type: its JSON form, inline).
func (g *oapi) messageSchema(md protoreflect.MessageDescriptor) map[string]any {
	if s := wkt(md); s != nil {
		return s
	}
	name := string(md.FullName())
	if g.plain && hasRules(md, map[protoreflect.FullName]bool{}) {
		name += "-unvalidated"
	}
	if _, ok := g.schemas[name]; ok {
		return ref(name)
	}
	s := map[string]any{"type": "object", "additionalProperties": false}
	g.schemas[name] = s // before the fields: a message may hold itself
	props := map[string]any{}
	var required []any
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		fs, req := g.ruledField(fd)
		fs = maps.Clone(fs)
		if req {
			required = append(required, fd.JSONName())
		}
		desc := comment(fileOf(fd), fd)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			desc = strings.TrimSpace(desc + "\n\n" + oneofNote(o))
		}
		if desc != "" {
			if _, isRef := fs["$ref"]; isRef {
				fs = map[string]any{"allOf": []any{fs}}
			}
			fs["description"] = desc
		}
		props[fd.JSONName()] = fs
	}
	if len(props) > 0 {
		s["properties"] = props
	}
	if len(required) > 0 {
		s["required"] = required
	}
	if !g.plain {
		if one := oneofRequired(md); len(one) > 0 {
			s["allOf"] = one
		}
	}
	var exclusive []any
	for i := 0; i < md.Oneofs().Len(); i++ {
		o := md.Oneofs().Get(i)
		if o.IsSynthetic() || o.Fields().Len() < 2 {
			continue
		}
		for a := 0; a < o.Fields().Len(); a++ {
			for b := a + 1; b < o.Fields().Len(); b++ {
				exclusive = append(exclusive, map[string]any{"required": []any{o.Fields().Get(a).JSONName(), o.Fields().Get(b).JSONName()}})
			}
		}
	}
	if len(exclusive) > 0 {
		s["not"] = map[string]any{"anyOf": exclusive}
	}
	if c := comment(fileOf(md), md); c != "" {
		s["description"] = c
	}
	return ref(name)
}

func oneofNote(o protoreflect.OneofDescriptor) string {
	var names []string
	for i := 0; i < o.Fields().Len(); i++ {
		names = append(names, o.Fields().Get(i).JSONName())
	}
	return fmt.Sprintf("One of oneof %s: at most one of %s is set.", o.Name(), strings.Join(names, ", "))
}

// errorSchemas adds gox's error body schemas.
func (g *oapi) errorSchemas() {
	meta := map[string]any{"type": []any{"object", "null"}, "additionalProperties": map[string]any{"type": "string"},
		"description": "the error's metadata (\"field\" names the fields of an INVALID_FIELD, \"retry_after\" a wait)"}
	if g.opts.Problem {
		g.schemas[ProblemSchema] = map[string]any{
			"type":        "object",
			"description": "an RFC 9457 problem detail, gox's reason and metadata as extension members (transport/http.Problem)",
			"required":    []any{"type", "title", "status"},
			"properties": map[string]any{
				"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
				"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
				"instance": map[string]any{"type": "string"}, "reason": map[string]any{"type": "string"},
				"metadata": meta, "cause": map[string]any{"type": "string"}, "stack": map[string]any{"type": "string"},
			},
		}
		return
	}
	g.schemas[EnvelopeSchema] = map[string]any{
		"type":        "object",
		"description": "gox's error envelope (transport/http.Envelope); cause and stack only outside production",
		"required":    []any{"code", "message", "data"},
		"properties": map[string]any{
			"code": map[string]any{"type": "integer", "description": "the HTTP status"}, "reason": map[string]any{"type": "string"},
			"message": map[string]any{"type": "string"}, "data": meta,
			"cause": map[string]any{"type": "string"}, "stack": map[string]any{"type": "string"},
		},
	}
}

// errorResponses adds a response per error status the route can answer
// with, its reasons an enum, and a default for any other.
func (g *oapi) errorResponses(r *openapi31.Responses, m *Method, b *Binding) {
	byStatus := map[int][]string{}
	for st, reasons := range chainErrors {
		if st == http.StatusRequestEntityTooLarge && b.Body == "" {
			continue
		}
		byStatus[st] = append(byStatus[st], reasons...)
	}
	for _, e := range m.Errors {
		if !slices.Contains(byStatus[e.Status], e.Reason) {
			byStatus[e.Status] = append(byStatus[e.Status], e.Reason)
		}
	}
	mediaType, base, reasonField := "application/json", EnvelopeSchema, "reason"
	if g.opts.Problem {
		mediaType, base = "application/problem+json", ProblemSchema
	}
	for _, st := range slices.Sorted(maps.Keys(byStatus)) {
		reasons := slices.Sorted(slices.Values(byStatus[st]))
		enum := make([]any, len(reasons))
		for i, r := range reasons {
			enum[i] = r
		}
		schema := map[string]any{"allOf": []any{ref(base), map[string]any{"properties": map[string]any{
			reasonField: map[string]any{"type": "string", "enum": enum}}}}}
		desc := http.StatusText(st)
		if st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable {
			desc += "; Retry-After says when to retry"
		}
		r.MapOfResponseOrReferenceValues[strconv.Itoa(st)] = openapi31.ResponseOrReference{Response: &openapi31.Response{
			Description: desc, Content: map[string]openapi31.MediaType{mediaType: {Schema: schema}}}}
	}
	r.Default = &openapi31.ResponseOrReference{Response: &openapi31.Response{
		Description: "any other error the implementation returns (a gRPC status maps to the HTTP status of its class)",
		Content:     map[string]openapi31.MediaType{mediaType: {Schema: ref(base)}}}}
}
