// Package openapi makes a gox service's OpenAPI 3.1 document from the
// routes registered on its HTTP server, with no annotation written by hand,
// and serves it, with a docs page, at /openapi.json and /docs/.
//
// Each route (transport/http Server.Routes) is an operation: its method,
// its path (gin's "/users/:id" and "/files/*path" become "/users/{id}" and
// "/files/{path}"), and for a handler made by transport/http's JSON the
// path and query parameters from Req's `uri` and `form` tags, the request
// body from Req's `json` fields and the 200 response from Resp, by
// reflection (swaggest/jsonschema-go and openapi-go's openapi31
// reflector). Req's `binding` tags, which the handler checks, are
// constraints of the schemas: required, min/max/len/gt/gte/lt/lte as
// bounds of a number, a string's length or an array's size, oneof as an
// enum, email/url/uuid/ip/hostname/datetime as a format, alpha/alphanum/
// numeric as a pattern, and after dive the same for an array's items. Go
// doc comments are not there at run time: transport/http's Doc gives a
// route a summary and a description. Any other handler is an operation
// with its method and path parameters only.
//
// Every operation lists the errors gox itself answers with, in the
// server's error format (the envelope, or problem+json): 400
// (INVALID_FIELD, MALFORMED_JSON, EMPTY_BODY), 404 (ROUTE_NOT_FOUND, or the
// handler's own), 413 for a body over the limit, 429 (RATE_LIMITED,
// TOO_MANY_REQUESTS), 500 (INTERNAL, PANIC), 503 (OVERLOADED,
// CONCURRENCY_LIMITED, UNAVAILABLE, CIRCUIT_OPEN, NO_INSTANCE,
// UNREACHABLE) and 504 (TIMEOUT, DEADLINE_TOO_SHORT).
//
// A document another tool wrote (gctl's, for the HTTP bindings of a
// service's protos) is merged in with Options.Merge: paths and components
// are unioned; the same operation, or a component of the same name that is
// not the same, in both is an error naming it — but an operation of a plain
// handler gives way to the merged document's description of it.
//
// The routes of those bindings (registered with HandleOperation under their
// gRPC method, Route.Named) are described by the merged document alone:
// a route it describes, by an operation of the route's method whose
// operationId is gctl's for the gRPC method ("Service_Method",
// "Service_Method_1", ...) or at a path of the same shape, adds nothing of
// its own, so no operation is there twice under two templates of one path.
// A route no merged document describes (none merged, or one older than
// the route) is an operation with its method and path only, at the merged
// document's spelling of that path if it has one.
//
// Mount serves the document (built once, on the first request) and the
// docs page, to everyone (Public), behind basic auth (Management, the
// credentials of the service's other management pages) or not at all
// (Off). The page is a separate package, openapi/docsui, so that only a
// service that shows it links its assets.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/swaggest/jsonschema-go"
	oapi "github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"

	xhttp "github.com/goxkit/gox/transport/http"
)

// Options describe the document and where it is served.
type Options struct {
	// Title and Version are the document's info (the service's name and
	// version); Description is optional. Title defaults to "API", Version
	// to "0.0.0".
	Title, Version, Description string
	// Merge are OpenAPI 3.1 JSON documents to merge in: what a generator
	// wrote for the service's proto HTTP bindings, embedded in the binary.
	Merge [][]byte
	// ErrorFormat is the server's error body, "envelope" or "problem";
	// Document and Mount take the server's (Config.ErrorFormat) when it is
	// empty.
	ErrorFormat string

	// Expose says who is served /openapi.json and /docs/: Public,
	// Management or Off (Mount; empty is Off).
	Expose Exposure
	// Username and Password guard Management exposure with basic auth:
	// the credentials of the service's other management pages.
	Username, Password string
	// Guard, when set, guards Management exposure instead of Username and
	// Password: the service's one management login (see
	// transport/http.WithManagementGuard).
	Guard func(http.Handler) http.Handler
	// Docs is the docs page, mounted at /docs/ (docsui.Handler()); nil
	// serves no page.
	Docs http.Handler
}

// Build makes the OpenAPI 3.1 document of routes.
func Build(routes []xhttp.Route, o Options) ([]byte, error) {
	problem := false
	switch o.ErrorFormat {
	case "", "envelope":
	case "problem":
		problem = true
	default:
		return nil, fmt.Errorf("openapi: error format %q is not one of envelope, problem", o.ErrorFormat)
	}
	r := openapi31.NewReflector()
	r.DefaultOptions = append(r.DefaultOptions, jsonschema.InterceptProp(bindingConstraints))
	title, version := o.Title, o.Version
	if title == "" {
		title = "API"
	}
	if version == "" {
		version = "0.0.0"
	}
	r.Spec.Info.WithTitle(title).WithVersion(version)
	if o.Description != "" {
		r.Spec.Info.WithDescription(o.Description)
	}

	merged := make([]map[string]any, len(o.Merge))
	for i, m := range o.Merge {
		other, err := decode(m)
		if err != nil {
			return nil, fmt.Errorf("openapi: merged document %d: %w", i+1, err)
		}
		merged[i] = other
	}
	described := mergedOperations(merged)

	plain := map[opKey]bool{}             // operations of plain handlers: a merged document may describe them
	requiredQuery := map[opKey][]string{} // query parameters a binding tag requires
	bodies := map[opKey]map[string]any{}  // request bodies
	for _, rt := range routes {
		p, params := oasPath(rt.Path)
		if rt.Named() {
			// a route of a proto HTTP binding (HandleOperation): the merged
			// document describes it, as its generator knows it; else it is
			// described by its method and path only
			if described.has(rt.Method, p, rt.Operation) {
				continue
			}
			if dp, ok := described.pathOfShape(p); ok {
				p, params = dp, pathParams(dp) // one path per shape: the document's
			}
			rt = xhttp.Route{Method: rt.Method, Path: rt.Path, Operation: rt.Operation}
		}
		key := opKey{strings.ToLower(rt.Method), p}
		oc, err := r.NewOperationContext(rt.Method, p)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", rt.Method, rt.Path, err)
		}
		if rt.Summary != "" {
			oc.SetSummary(rt.Summary)
		}
		if rt.Description != "" {
			oc.SetDescription(rt.Description)
		}
		op := oc.(interface{ Operation() *openapi31.Operation }).Operation()
		bound := map[string]bool{}
		if rt.Request != nil && deref(rt.Request).Kind() == reflect.Struct {
			req := deref(rt.Request)
			uri := tagged(req, "uri")
			for _, name := range uri {
				bound[name] = true
			}
			oc.AddReqStructure(reflect.New(req).Interface(), func(cu *oapi.ContentUnit) {
				cu.ContentType = "application/json"
				cu.SetFieldMapping(oapi.InPath, fieldMapping(req, "uri"))
			})
			requiredQuery[key] = requiredTagged(req, "form")
			if rt.Method != http.MethodGet && rt.Method != http.MethodHead && len(tagged(req, "json")) > 0 {
				b, err := bodySchema(r, req)
				if err != nil {
					return nil, fmt.Errorf("openapi: %s %s: request body: %w", rt.Method, rt.Path, err)
				}
				bodies[key] = b
			}
		}
		for _, name := range params {
			if !bound[name] { // a parameter the handler does not bind
				op.Parameters = append(op.Parameters, openapi31.ParameterOrReference{Parameter: &openapi31.Parameter{
					Name: name, In: openapi31.ParameterInPath, Required: ptr(true),
					Schema: map[string]any{"type": "string"},
				}})
			}
		}
		if rt.Response != nil {
			oc.AddRespStructure(reflect.New(deref(rt.Response)).Interface(), oapi.WithHTTPStatus(http.StatusOK))
		} else {
			plain[key] = rt.Request == nil && rt.Summary == "" && rt.Description == ""
		}
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", rt.Method, rt.Path, err)
		}
	}

	raw, err := json.Marshal(r.Spec)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	paths := object(doc, "paths")
	for p, item := range paths {
		for method, v := range item.(map[string]any) {
			op, ok := v.(map[string]any)
			if !ok || !isMethod(method) {
				continue
			}
			key := opKey{method, p}
			if _, plainRoute := plain[key]; plainRoute {
				responses := object(op, "responses")
				delete(responses, "204") // the reflector's guess for an operation without a response type
				responses["200"] = map[string]any{"description": "OK (the handler's own reply, not described)"}
			}
			markRequired(op, requiredQuery[key])
			if b, ok := bodies[key]; ok {
				op["requestBody"] = b
			}
			addErrors(op, op["requestBody"] != nil)
		}
	}
	addErrorComponents(object(doc, "components"), problem)

	for i, other := range merged {
		if err := merge(doc, other, func(method, path string) bool { return plain[opKey{method, path}] }); err != nil {
			return nil, fmt.Errorf("openapi: merged document %d: %w", i+1, err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return buf.Bytes(), nil
}

// Document makes the OpenAPI document of the routes registered on s so far,
// in s's error format unless o names one.
func Document(s *xhttp.Server, o Options) ([]byte, error) {
	if o.ErrorFormat == "" {
		o.ErrorFormat = s.ErrorFormat()
	}
	return Build(s.Routes(), o)
}

func ptr[T any](v T) *T { return &v }

// opKey names an operation: its method in lower case, and its path.
type opKey struct{ method, path string }

// described is what the merged documents describe, to tell a route of a
// proto HTTP binding (Route.Named) they describe from one they do not.
type described struct {
	shapes map[opKey]bool // method, path with its parameters' names left out
	ids    map[opKey]bool // method, operationId (and that id without a trailing "_<n>")
	paths  map[string]string
}

// mergedOperations collects the operations of docs.
func mergedOperations(docs []map[string]any) described {
	d := described{shapes: map[opKey]bool{}, ids: map[opKey]bool{}, paths: map[string]string{}}
	for _, doc := range docs {
		paths, _ := doc["paths"].(map[string]any)
		for _, p := range sortedKeys(paths) {
			item, ok := paths[p].(map[string]any)
			if !ok {
				continue
			}
			if _, seen := d.paths[pathShape(p)]; !seen {
				d.paths[pathShape(p)] = p
			}
			for method, v := range item {
				op, ok := v.(map[string]any)
				if !ok || !isMethod(method) {
					continue
				}
				d.shapes[opKey{method, pathShape(p)}] = true
				if id, _ := op["operationId"].(string); id != "" {
					d.ids[opKey{method, id}] = true
					if i := strings.LastIndexByte(id, '_'); i > 0 && isDigits(id[i+1:]) {
						d.ids[opKey{method, id[:i]}] = true // an additional binding's: "Library_GetBook_1"
					}
				}
			}
		}
	}
	return d
}

// has reports whether the merged documents describe the route of a proto
// HTTP binding for gRPC method op (a full method, "/pkg.Service/Method")
// served at method and path (OpenAPI's syntax): an operation of method
// whose operationId is the method's as gctl names it ("Service_Method",
// "Service_Method_<n>" for the n-th additional binding), or one at a path
// of the same shape (its parameters' names aside). A binding's template
// and the gin route it is served by can differ in shape, a variable over
// several segments ("{name=shelves/*}") being one parameter in the
// document and several segments in the route: the operationId tells.
func (d described) has(method, path, op string) bool {
	method = strings.ToLower(method)
	if d.shapes[opKey{method, pathShape(path)}] {
		return true
	}
	svc, name, ok := strings.Cut(strings.TrimPrefix(op, "/"), "/")
	if !ok {
		return false
	}
	svc = svc[strings.LastIndexByte(svc, '.')+1:]
	return d.ids[opKey{method, svc + "_" + name}]
}

// pathOfShape is the merged documents' path of path's shape, if any.
func (d described) pathOfShape(path string) (string, bool) {
	p, ok := d.paths[pathShape(path)]
	return p, ok
}

var pathParamRe = regexp.MustCompile(`\{[^}]*\}`)

// pathShape is path with its parameters' names left out ("/v1/{}/books"):
// two paths of one shape are the same to OpenAPI.
func pathShape(path string) string { return pathParamRe.ReplaceAllLiteralString(path, "{}") }

// pathParams lists the parameters of an OpenAPI path.
func pathParams(path string) []string {
	var names []string
	for _, m := range pathParamRe.FindAllString(path, -1) {
		names = append(names, m[1:len(m)-1])
	}
	return names
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// oasPath turns gin's path syntax into OpenAPI's, and lists its parameters.
// An escaped colon (gin's literal ':', "/v1/books\:batchGet") is a colon.
func oasPath(p string) (string, []string) {
	segs := strings.Split(p, "/")
	var params []string
	for i, s := range segs {
		if s != "" && (s[0] == ':' || s[0] == '*') {
			params = append(params, s[1:])
			segs[i] = "{" + s[1:] + "}"
		} else {
			segs[i] = strings.ReplaceAll(s, `\:`, ":")
		}
	}
	return strings.Join(segs, "/"), params
}

// tagged lists the names t's fields have in tag (embedded structs' fields
// included).
func tagged(t reflect.Type, tag string) []string {
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		if n, _, _ := strings.Cut(f.Tag.Get(tag), ","); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return names
}

// requiredTagged lists the names in tag of t's fields whose binding tag requires them.
func requiredTagged(t reflect.Type, tag string) []string {
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		n, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if n == "" || n == "-" {
			continue
		}
		rules := splitRules(f.Tag.Get("binding"))
		if i := slices.Index(rules, "dive"); i >= 0 {
			rules = rules[:i]
		}
		if slices.Contains(rules, "required") {
			names = append(names, n)
		}
	}
	return names
}

// fieldMapping maps the Go names of t's fields to their names in tag.
func fieldMapping(t reflect.Type, tag string) map[string]string {
	m := map[string]string{}
	for _, f := range reflect.VisibleFields(t) {
		if n, _, _ := strings.Cut(f.Tag.Get(tag), ","); n != "" && n != "-" {
			m[f.Name] = n
		}
	}
	return m
}

func markRequired(op map[string]any, names []string) {
	if len(names) == 0 {
		return
	}
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		pm, ok := p.(map[string]any)
		if ok && pm["in"] == "query" && slices.Contains(names, pm["name"].(string)) {
			pm["required"] = true
		}
	}
}

func isMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

// decode reads a JSON document as maps, numbers kept as they are written.
func decode(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return doc, nil
}

// object is m[key] as an object, made when it is not there.
func object(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

// merge adds other's paths, components and tags to doc. yields says whether
// doc's operation may give way to other's.
func merge(doc, other map[string]any, yields func(method, path string) bool) error {
	v, _ := other["openapi"].(string)
	if !strings.HasPrefix(v, "3.1.") {
		return fmt.Errorf("openapi version %q: only 3.1 documents can be merged", v)
	}
	paths := object(doc, "paths")
	otherPaths, _ := other["paths"].(map[string]any)
	for _, p := range sortedKeys(otherPaths) {
		theirs, ok := otherPaths[p].(map[string]any)
		if !ok {
			return fmt.Errorf("path %s is not an object", p)
		}
		ours, ok := paths[p].(map[string]any)
		if !ok {
			paths[p] = theirs
			continue
		}
		for _, k := range sortedKeys(theirs) {
			mine, both := ours[k]
			switch {
			case !both:
				ours[k] = theirs[k]
			case isMethod(k) && yields(k, p):
				ours[k] = theirs[k]
			case isMethod(k):
				return fmt.Errorf("%s %s is described by both the routes and this document", strings.ToUpper(k), p)
			case !reflect.DeepEqual(mine, theirs[k]):
				return fmt.Errorf("path %s: %q differs from the routes'", p, k)
			}
		}
	}
	if oc, ok := other["components"].(map[string]any); ok {
		comps := object(doc, "components")
		for _, section := range sortedKeys(oc) {
			theirs, ok := oc[section].(map[string]any)
			if !ok {
				continue
			}
			ours := object(comps, section)
			for _, name := range sortedKeys(theirs) {
				mine, both := ours[name]
				if both && strings.HasPrefix(name, "gox.") {
					// gox's own error bodies and responses: the running
					// server's description wins over what a generator
					// (maybe of another gox version) wrote.
					continue
				}
				if both && !reflect.DeepEqual(mine, theirs[name]) {
					return fmt.Errorf("component %s/%s differs from the routes' (path of its first use: %s)",
						section, name, firstUse(other, "#/components/"+section+"/"+name))
				}
				ours[name] = theirs[name]
			}
		}
	}
	if tags, ok := other["tags"].([]any); ok {
		have, _ := doc["tags"].([]any)
		for _, t := range tags {
			if !slices.ContainsFunc(have, func(h any) bool { return tagName(h) == tagName(t) }) {
				have = append(have, t)
			}
		}
		doc["tags"] = have
	}
	return nil
}

func tagName(t any) any {
	if m, ok := t.(map[string]any); ok {
		return m["name"]
	}
	return nil
}

// firstUse is the first path (in order) of doc that refers to ref, or "none".
func firstUse(doc map[string]any, ref string) string {
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		b, _ := json.Marshal(paths[p])
		if bytes.Contains(b, []byte(strconv.Quote(ref))) {
			return p
		}
	}
	return "none"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// bodySchema is the request body of a JSON handler: req's json fields (the
// reflector leaves them out of a struct that also has query parameters,
// and out of a DELETE, which gox's JSON handler decodes a body for). It
// is required when a binding tag requires a field of it.
func bodySchema(r *openapi31.Reflector, req reflect.Type) (map[string]any, error) {
	s, err := r.Reflect(reflect.New(req).Interface(),
		jsonschema.RootRef,
		jsonschema.DefinitionsPrefix("#/components/schemas/"),
		jsonschema.PropertyNameTag("json"),
		jsonschema.CollectDefinitions(func(name string, d jsonschema.Schema) {
			if sm, err := d.ToSchemaOrBool().ToSimpleMap(); err == nil {
				r.SpecEns().ComponentsEns().WithSchemasItem(name, sm)
			}
		}))
	if err != nil {
		return nil, err
	}
	sm, err := s.ToSchemaOrBool().ToSimpleMap()
	if err != nil {
		return nil, err
	}
	body := map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": sm}}}
	if len(requiredTagged(req, "json")) > 0 {
		body["required"] = true
	}
	return body, nil
}
