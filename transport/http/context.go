package http

import (
	"bytes"
	"context"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
)

// Context is the request context handed to handlers: gin's, plus decoding that
// answers bad input with a clear, coded error. c.Request.Context() carries
// what the middleware chain added (request id, deadline, trace).
type Context struct {
	*gin.Context
}

// HandlerFunc handles a request. It writes its reply with the gin methods
// (c.JSON, c.String, ...) or returns an error, which the server renders.
type HandlerFunc func(c *Context) error

// Decode reads the JSON body into v and validates it with its `binding` tags.
// It returns a 400 naming the problem (malformed JSON at an offset, the field
// with the wrong type, the field failing validation), or a 413 when the body
// is over the server's limit.
//
// The decoded, valid v is handed to the hooks of the middleware chain
// (middleware.Decoded): an audited route's record takes its resource ids
// from it.
func (c *Context) Decode(v any) error {
	if err := DecodeJSON(c.Request.Body, v); err != nil {
		return err
	}
	if err := Validate(v); err != nil {
		return err
	}
	middleware.Decoded(c.Request.Context(), v)
	return nil
}

// DecodeJSON reads r to the end and decodes the one JSON value it holds into
// v, with the errors Decode returns. Data after the value is an error. The
// body is read into a pooled buffer, so a request costs no decoder allocation.
func DecodeJSON(r io.Reader, v any) error {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBody {
			bodyPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(r); err != nil {
		return jsonError(err, nil)
	}
	data := buf.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		return jsonError(io.EOF, nil)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err, reflect.TypeOf(v))
	}
	return nil
}

// maxPooledBody bounds the buffers kept for reuse, so one large upload does
// not pin its memory.
const maxPooledBody = 64 << 10

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// jsonError turns a decoding error into a coded one; t is the type decoded
// into, to name a mistyped field as the client sent it.
func jsonError(err error, t reflect.Type) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case stderrors.As(err, &maxErr):
		return errors.New(http.StatusRequestEntityTooLarge, errors.ReasonTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", maxErr.Limit)).WithCause(err)
	case stderrors.Is(err, io.EOF):
		return errors.BadRequest("EMPTY_BODY", "request body is empty; a JSON value is required").WithCause(err)
	case stderrors.Is(err, io.ErrUnexpectedEOF):
		return errors.BadRequest("MALFORMED_JSON", "malformed JSON: unexpected end of body").WithCause(err)
	case stderrors.As(err, &syntaxErr):
		return errors.BadRequest("MALFORMED_JSON",
			fmt.Sprintf("malformed JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error())).WithCause(err)
	case stderrors.As(err, &typeErr):
		field := jsonField(t, typeErr.Field)
		if field == "" {
			field = "(root)"
		}
		return errors.BadRequest(validate.ReasonInvalidField,
			fmt.Sprintf("field %q must be %s, got JSON %s", field, typeErr.Type.String(), typeErr.Value)).
			WithMetadata(map[string]string{validate.MetadataField: validate.FieldList(field)}).WithCause(err)
	}
	return errors.BadRequest("MALFORMED_JSON", "cannot decode JSON body: "+err.Error()).WithCause(err)
}

// Validate checks v against its `binding` struct tags (go-playground/validator,
// as gin does) and returns a 400 naming every failing field as the client
// sent it (validate.FieldPath): by its json tag, nested fields and elements
// in JSON's terms ("address.city", "items[2].name"); a field without a json
// tag by its form or uri tag, else its Go name.
func Validate(v any) error {
	if binding.Validator == nil {
		return nil
	}
	err := binding.Validator.ValidateStruct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !stderrors.As(err, &verrs) {
		return errors.BadRequest(validate.ReasonInvalidField, err.Error()).WithCause(err)
	}
	msgs := make([]string, 0, len(verrs))
	fields := make([]string, 0, len(verrs))
	t := reflect.TypeOf(v)
	for _, fe := range verrs {
		name := validate.FieldPath(t, fe.StructNamespace())
		msgs = append(msgs, fmt.Sprintf("field %q fails %q", name, fe.ActualTag()))
		fields = append(fields, name)
	}
	return errors.BadRequest(validate.ReasonInvalidField, strings.Join(msgs, "; ")).
		WithMetadata(map[string]string{validate.MetadataField: validate.FieldList(fields...)}).WithCause(err)
}

// JSON adapts a typed function into a HandlerFunc: the JSON body (if any) is
// decoded into Req and validated, path and query parameters are bound through
// `uri` and `form` tags, and the result is written as JSON with 200. The
// route's Req and Resp are in Server.Routes, for the service's API document.
// The decoded, valid request is handed to the hooks of the middleware chain
// (middleware.Decoded) before fn runs.
//
//	s.POST("/users", http.JSON(svc.CreateUser)) // func(ctx, *CreateUserReq) (*User, error)
func JSON[Req, Resp any](fn func(ctx context.Context, req *Req) (*Resp, error)) HandlerFunc {
	h := HandlerFunc(func(c *Context) error {
		req := new(Req)
		// Parameters are mapped without gin's validation (ShouldBindUri
		// and ShouldBindQuery validate the struct before the body is
		// read, failing required body fields); Validate runs once, below.
		if len(c.Params) > 0 {
			params := make(map[string][]string, len(c.Params))
			for _, p := range c.Params {
				params[p.Key] = []string{p.Value}
			}
			if err := binding.MapFormWithTag(req, params, "uri"); err != nil {
				return paramError("path", req, params, "uri", err)
			}
		}
		if c.Request.URL.RawQuery != "" {
			query := c.Request.URL.Query()
			if err := binding.MapFormWithTag(req, query, "form"); err != nil {
				return paramError("query", req, query, "form", err)
			}
		}
		if c.Request.ContentLength != 0 && c.Request.Method != http.MethodGet {
			if err := DecodeJSON(c.Request.Body, req); err != nil {
				return err
			}
		}
		// the validation middleware's validator when it is on the chain (its
		// options: fail fast, a custom validator), else the binding tags
		if v, ok := validate.FromContext(c.Request.Context()); ok {
			if err := v.Validate(req); err != nil {
				return err
			}
		} else if err := Validate(req); err != nil {
			return err
		}
		// the chain ran before the request was whole: its hooks (audit) see it now
		middleware.Decoded(c.Request.Context(), req)
		resp, err := fn(c.Request.Context(), req)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, resp)
		return nil
	})
	// what the service's API document says of the route (Server.Routes)
	describe(h, &handlerDoc{req: reflect.TypeFor[Req](), resp: reflect.TypeFor[Resp]()})
	return h
}

// paramError is the 400 for a path or query parameter that does not fit its
// field ("page=abc" for an int), naming the parameter: gin's error names only
// the value, so each parameter is mapped alone, into a fresh value, to find it.
func paramError(kind string, req any, values map[string][]string, tag string, err error) error {
	name := ""
	t := reflect.TypeOf(req).Elem()
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if binding.MapFormWithTag(reflect.New(t).Interface(), map[string][]string{k: values[k]}, tag) != nil {
			name = k
			break
		}
	}
	if name == "" {
		return errors.BadRequest(validate.ReasonInvalidField, fmt.Sprintf("%s parameter: %v", kind, err)).WithCause(err)
	}
	return errors.BadRequest(validate.ReasonInvalidField, fmt.Sprintf("%s parameter %q: %v", kind, name, err)).
		WithMetadata(map[string]string{validate.MetadataField: validate.FieldList(name)}).WithCause(err)
}

// jsonField drops from encoding/json's path of a mistyped field
// ("audit.by") the Go names of the embedded structs it went through, which
// the client never sent ("by").
func jsonField(t reflect.Type, path string) string {
	if path == "" {
		return ""
	}
	steps := strings.Split(path, ".")
	kept := steps[:0]
	for _, step := range steps {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			kept = append(kept, step)
			continue
		}
		f, ok := jsonStructField(t, step)
		if ok && f.Anonymous && jsonName(f) == "" {
			t = f.Type // an embedded struct's Go name: not on the wire
			continue
		}
		t = nil
		if ok {
			t = f.Type
		}
		kept = append(kept, step)
	}
	return strings.Join(kept, ".")
}

// jsonStructField finds the field of t that encoding/json names step: by its
// JSON name, or, for an untagged embedded struct, by its Go name.
func jsonStructField(t reflect.Type, step string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		n := jsonName(f)
		if n == step || (n == "" && f.Name == step) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is the key encoding/json uses for f: its json tag's name, else
// its Go name; "" for an untagged embedded struct, whose fields it flattens.
func jsonName(f reflect.StructField) string {
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
		return n
	}
	if f.Anonymous && indirect(f.Type).Kind() == reflect.Struct {
		return ""
	}
	return f.Name
}

func indirect(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}
