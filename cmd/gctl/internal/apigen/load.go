// Package apigen is `gctl gen api`: from a Go interface of a service's
// package it generates the HTTP routes that serve an implementation of it,
// a typed client that implements the same interface over gox's HTTP client
// (so discovery, retries and breakers apply), and a mock for tests; and it
// creates, once, the file the implementation goes in.
//
// The interface is the definition. Each method has the shape
//
//	Name(ctx context.Context, req *Req) (*Resp, error)
//
// with Req a struct type of the same package (its fields are read: path and
// query parameters), Resp any named type. A directive in the method's doc
// comment sets its route; without one it is POST /kebab-case-name:
//
//	// GetUser returns one user.
//	//gox:http GET /v1/users/{id}
//	GetUser(ctx context.Context, req *GetUserReq) (*User, error)
//
// A path variable {id} binds the field of Req tagged `uri:"id"`. For GET,
// DELETE and HEAD the other fields travel in the query string, each by its
// `form` tag, and must be of a basic kind, a pointer to one or a slice of
// them; other methods send Req as the JSON body. The routes use
// transport/http's JSON helper, so requests are validated by their
// `binding` tags and errors are gox errors, as for hand-written routes.
//
// The interface to read is named by --interface, or is the one whose doc
// comment carries the directive //gox:api. Anything else is refused naming
// the file, line and method.
package apigen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// API is an interface read from a package.
type API struct {
	// Dir is the package's directory, Package its name.
	Dir, Package string
	// Interface is the interface's name; Doc its doc comment, directives
	// removed.
	Interface, Doc string
	Methods        []Method
	// Imports are the imports the results' types need, name → path.
	Imports map[string]string
}

// Method is one method of the interface and its route.
type Method struct {
	Name, Doc string
	// HTTPMethod and Path are the route, Path as written ({id}); Route is
	// Path in the router's syntax (:id).
	HTTPMethod, Path, Route string
	// Req and Resp are the type names as written in the source (Resp may
	// be qualified: model.User).
	Req, Resp string
	// PathParams bind path variables to fields of Req, in path order;
	// Query are the fields sent in the query string (GET, DELETE, HEAD).
	PathParams []Field
	Query      []Field
	// Body says whether Req travels as the JSON body.
	Body bool
	Pos  token.Position
}

// Field is a field of a request struct and its wire name.
type Field struct {
	// Go is the selector from the request (ID, Filter.Name).
	Go string
	// Name is the path variable or query parameter.
	Name string
	// Kind is "basic", "pointer" or "slice"; Type the basic type
	// (string, int64, ...) it is or points to or holds.
	Kind, Type string
}

// Error is a definition gctl refuses, with where and why.
type Error struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

const (
	directiveAPI  = "//gox:api"
	directiveHTTP = "//gox:http"
)

// Load reads the package in dir and the interface named name ("" for the
// one marked //gox:api). Generated files (*.gen.go) and tests are not read.
func Load(dir, name string) (*API, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasSuffix(n, ".gen.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err // go/scanner errors name file:line:col
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files", dir)
	}
	structs := map[string]*ast.StructType{}
	type found struct {
		spec *ast.TypeSpec
		it   *ast.InterfaceType
		doc  *ast.CommentGroup
		file *ast.File
	}
	var candidates []found
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				switch t := ts.Type.(type) {
				case *ast.StructType:
					structs[ts.Name.Name] = t
				case *ast.InterfaceType:
					if (name == "" && hasDirective(doc, directiveAPI)) || ts.Name.Name == name {
						candidates = append(candidates, found{ts, t, doc, f})
					}
				}
			}
		}
	}
	switch {
	case len(candidates) == 0 && name != "":
		return nil, fmt.Errorf("%s: no interface %s", dir, name)
	case len(candidates) == 0:
		return nil, fmt.Errorf("%s: no interface marked %s; mark one in its doc comment or name it with --interface", dir, directiveAPI)
	case len(candidates) > 1:
		var names []string
		for _, c := range candidates {
			names = append(names, c.spec.Name.Name+" ("+fset.Position(c.spec.Pos()).String()+")")
		}
		return nil, fmt.Errorf("%s: %d interfaces marked %s: %s; name one with --interface", dir, len(candidates), directiveAPI, strings.Join(names, ", "))
	}
	c := candidates[0]
	api := &API{Dir: dir, Package: files[0].Name.Name, Interface: c.spec.Name.Name, Doc: docText(c.doc), Imports: map[string]string{}}
	ctxName := importName(c.file, "context")
	seen := map[string]string{} // "GET /x" → method
	for _, m := range c.it.Methods.List {
		pos := fset.Position(m.Pos())
		if len(m.Names) == 0 {
			return nil, &Error{pos, fmt.Sprintf("interface %s embeds %s: list its methods instead", api.Interface, types.ExprString(m.Type))}
		}
		meth, err := method(m, pos, ctxName, structs)
		if err != nil {
			return nil, err
		}
		key := meth.HTTPMethod + " " + meth.Route
		if other, dup := seen[key]; dup {
			return nil, &Error{pos, fmt.Sprintf("method %s: route %s %s is %s's too", meth.Name, meth.HTTPMethod, meth.Path, other)}
		}
		seen[key] = meth.Name
		if q, _, ok := strings.Cut(meth.Resp, "."); ok {
			path := importPath(c.file, q)
			if path == "" {
				return nil, &Error{pos, fmt.Sprintf("method %s: the package %s of its result is not imported by name", meth.Name, q)}
			}
			api.Imports[q] = path
		}
		api.Methods = append(api.Methods, meth)
	}
	if len(api.Methods) == 0 {
		return nil, &Error{fset.Position(c.spec.Pos()), fmt.Sprintf("interface %s has no methods", api.Interface)}
	}
	return api, nil
}

// method checks one interface method's shape and reads its route.
func method(m *ast.Field, pos token.Position, ctxName string, structs map[string]*ast.StructType) (Method, error) {
	meth := Method{Name: m.Names[0].Name, Doc: docText(m.Doc), Pos: pos}
	bad := func(format string, a ...any) (Method, error) {
		return Method{}, &Error{pos, "method " + meth.Name + ": " + fmt.Sprintf(format, a...)}
	}
	ft := m.Type.(*ast.FuncType)
	params, results := fieldTypes(ft.Params), fieldTypes(ft.Results)
	const shape = "want Name(ctx context.Context, req *Req) (*Resp, error)"
	if len(params) != 2 || len(results) != 2 {
		return bad("%d parameters and %d results; %s", len(params), len(results), shape)
	}
	if ctxName == "" || types.ExprString(params[0]) != ctxName+".Context" {
		return bad("its first parameter is %s, not context.Context; %s", types.ExprString(params[0]), shape)
	}
	req, ok := params[1].(*ast.StarExpr)
	if !ok {
		return bad("its request is %s, not a pointer to a struct; %s", types.ExprString(params[1]), shape)
	}
	reqName, ok := req.X.(*ast.Ident)
	if !ok {
		return bad("its request type %s is not of this package: gctl reads the request's fields, so declare it here", types.ExprString(req.X))
	}
	st, ok := structs[reqName.Name]
	if !ok {
		return bad("its request type %s is not a struct type declared in this package", reqName.Name)
	}
	resp, ok := results[0].(*ast.StarExpr)
	if !ok {
		return bad("its result is %s, not a pointer; %s", types.ExprString(results[0]), shape)
	}
	if types.ExprString(results[1]) != "error" {
		return bad("its last result is %s, not error; %s", types.ExprString(results[1]), shape)
	}
	meth.Req, meth.Resp = reqName.Name, types.ExprString(resp.X)

	meth.HTTPMethod, meth.Path = "POST", "/"+kebab(meth.Name)
	if d, ok := directive(m.Doc, directiveHTTP); ok {
		f := strings.Fields(d)
		if len(f) != 2 {
			return bad("%s %q: want %s METHOD /path", directiveHTTP, d, directiveHTTP)
		}
		meth.HTTPMethod, meth.Path = strings.ToUpper(f[0]), f[1]
	}
	switch meth.HTTPMethod {
	case "GET", "DELETE", "HEAD":
	case "POST", "PUT", "PATCH":
		meth.Body = true
	default:
		return bad("HTTP method %q is not one of GET, POST, PUT, PATCH, DELETE, HEAD", meth.HTTPMethod)
	}
	fields := map[string]reqField{}
	if err := collect(st, "", structs, fields, map[string]bool{reqName.Name: true}); err != nil {
		return bad("%v", err)
	}
	route, vars, err := parsePath(meth.Path)
	if err != nil {
		return bad("path %q: %v", meth.Path, err)
	}
	meth.Route = route
	for _, v := range vars {
		f, ok := fields["uri:"+v]
		if !ok {
			return bad("path variable {%s}: %s has no field tagged `uri:%q`", v, meth.Req, v)
		}
		if f.kind != "basic" {
			return bad("path variable {%s}: field %s must be a string, number or bool", v, f.goPath)
		}
		meth.PathParams = append(meth.PathParams, Field{Go: f.goPath, Name: v, Kind: f.kind, Type: f.typ})
	}
	if !meth.Body {
		var names []string
		for k := range fields {
			if strings.HasPrefix(k, "form:") {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			f := fields[k]
			if f.kind == "" {
				return bad("query parameter %q: field %s must be a string, number or bool, a pointer to one or a slice of them", strings.TrimPrefix(k, "form:"), f.goPath)
			}
			meth.Query = append(meth.Query, Field{Go: f.goPath, Name: strings.TrimPrefix(k, "form:"), Kind: f.kind, Type: f.typ})
		}
	}
	return meth, nil
}

type reqField struct {
	goPath    string
	kind, typ string // basic, pointer, slice ("" when none of them) of typ
}

// collect records the uri and form tags of st's fields (embedded structs of
// the package included), keyed "uri:name" and "form:name".
func collect(st *ast.StructType, prefix string, structs map[string]*ast.StructType, out map[string]reqField, visiting map[string]bool) error {
	for _, f := range st.Fields.List {
		var tag reflect.StructTag
		if f.Tag != nil {
			if s, err := strconv.Unquote(f.Tag.Value); err == nil {
				tag = reflect.StructTag(s)
			}
		}
		if len(f.Names) == 0 { // embedded
			id, ok := derefIdent(f.Type)
			if !ok {
				continue
			}
			if inner, ok := structs[id]; ok && !visiting[id] {
				visiting[id] = true
				if err := collect(inner, prefix+id+".", structs, out, visiting); err != nil {
					return err
				}
				delete(visiting, id)
			}
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			kind, typ := kindOf(f.Type)
			rf := reqField{goPath: prefix + n.Name, kind: kind, typ: typ}
			for _, key := range []string{"uri", "form"} {
				name, _, _ := strings.Cut(tag.Get(key), ",")
				if name == "" || name == "-" {
					continue
				}
				if prev, dup := out[key+":"+name]; dup {
					return fmt.Errorf("fields %s and %s are both tagged `%s:%q`", prev.goPath, rf.goPath, key, name)
				}
				out[key+":"+name] = rf
			}
		}
	}
	return nil
}

var basicTypes = map[string]bool{"string": true, "bool": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "float32": true, "float64": true}

func kindOf(e ast.Expr) (kind, typ string) {
	switch t := e.(type) {
	case *ast.Ident:
		if basicTypes[t.Name] {
			return "basic", t.Name
		}
	case *ast.StarExpr:
		if id, ok := t.X.(*ast.Ident); ok && basicTypes[id.Name] {
			return "pointer", id.Name
		}
	case *ast.ArrayType:
		if id, ok := t.Elt.(*ast.Ident); ok && t.Len == nil && basicTypes[id.Name] {
			return "slice", id.Name
		}
	}
	return "", ""
}

func derefIdent(e ast.Expr) (string, bool) {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parsePath checks a route path and returns it in the router's syntax with
// its variables in order.
func parsePath(p string) (route string, vars []string, err error) {
	if !strings.HasPrefix(p, "/") {
		return "", nil, fmt.Errorf("it does not start with /")
	}
	segs := strings.Split(p[1:], "/")
	seen := map[string]bool{}
	for i, s := range segs {
		if !strings.ContainsAny(s, "{}") {
			if strings.ContainsAny(s, ":*?#") {
				return "", nil, fmt.Errorf("segment %q: write variables as {name}", s)
			}
			continue
		}
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || !varName.MatchString(s[1:len(s)-1]) {
			return "", nil, fmt.Errorf("segment %q: a variable is a whole segment {name}", s)
		}
		v := s[1 : len(s)-1]
		if seen[v] {
			return "", nil, fmt.Errorf("variable {%s} appears twice", v)
		}
		seen[v] = true
		vars = append(vars, v)
		segs[i] = ":" + v
	}
	return "/" + strings.Join(segs, "/"), vars, nil
}

func fieldTypes(fl *ast.FieldList) []ast.Expr {
	if fl == nil {
		return nil
	}
	var out []ast.Expr
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			out = append(out, f.Type)
		}
	}
	return out
}

// importName is the name file f imports path under, "" when it does not.
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return path[strings.LastIndex(path, "/")+1:]
		}
	}
	return ""
}

// importPath is the path file f imports under name, "" when none.
func importPath(f *ast.File, name string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if (im.Name != nil && im.Name.Name == name) || (im.Name == nil && p[strings.LastIndex(p, "/")+1:] == name) {
			return p
		}
	}
	return ""
}

func hasDirective(doc *ast.CommentGroup, d string) bool {
	_, ok := directive(doc, d)
	return ok
}

// directive returns the text after directive d in doc.
func directive(doc *ast.CommentGroup, d string) (string, bool) {
	if doc == nil {
		return "", false
	}
	for _, c := range doc.List {
		if c.Text == d {
			return "", true
		}
		if rest, ok := strings.CutPrefix(c.Text, d+" "); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// docText is a doc comment's text without directives (CommentGroup.Text
// drops //x:y lines already).
func docText(doc *ast.CommentGroup) string { return strings.TrimSpace(doc.Text()) }

// kebab turns GetUserByID into get-user-by-id.
func kebab(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			if prevLower || (nextLower && rs[i-1] >= 'A' && rs[i-1] <= 'Z') {
				b.WriteByte('-')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
