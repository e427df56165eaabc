package http

import (
	"bytes"
	"context"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"

	"github.com/goxkit/gox/errors"
)

// Context is the request context handed to handlers: gin's, plus decoding that
// answers bad input with a clear, coded error. c.Request.Context() carries
// what the middleware chain added (request id, deadline, trace).
type Context struct {
	*gin.Context
	ctx context.Context // the chain's context, set before the handler runs
}

// chainContext is the context the middleware chain passed on: what
// c.Request.Context() returns in a handler, without needing the request copy
// that puts it there.
func (c *Context) chainContext() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	return c.Request.Context()
}

// HandlerFunc handles a request. It writes its reply with the gin methods
// (c.JSON, c.String, ...) or returns an error, which the server renders.
type HandlerFunc func(c *Context) error

// Decode reads the JSON body into v and validates it with its `binding` tags.
// It returns a 400 naming the problem (malformed JSON at an offset, the field
// with the wrong type, the field failing validation), or a 413 when the body
// is over the server's limit.
func (c *Context) Decode(v any) error {
	if err := DecodeJSON(c.Request.Body, v); err != nil {
		return err
	}
	return Validate(v)
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
		return jsonError(err)
	}
	data := buf.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		return jsonError(io.EOF)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// maxPooledBody bounds the buffers kept for reuse, so one large upload does
// not pin its memory.
const maxPooledBody = 64 << 10

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func jsonError(err error) error {
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
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return errors.BadRequest("INVALID_FIELD",
			fmt.Sprintf("field %q must be %s, got JSON %s", field, typeErr.Type.String(), typeErr.Value)).
			WithMetadata(map[string]string{"field": field}).WithCause(err)
	}
	return errors.BadRequest("MALFORMED_JSON", "cannot decode JSON body: "+err.Error()).WithCause(err)
}

// Validate checks v against its `binding` struct tags (go-playground/validator,
// as gin does) and returns a 400 naming every failing field.
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
		return errors.BadRequest("INVALID_FIELD", err.Error()).WithCause(err)
	}
	msgs := make([]string, 0, len(verrs))
	fields := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		msgs = append(msgs, fmt.Sprintf("field %q fails %q", fe.Namespace(), fe.ActualTag()))
		fields = append(fields, fe.Namespace())
	}
	return errors.BadRequest("INVALID_FIELD", strings.Join(msgs, "; ")).
		WithMetadata(map[string]string{"field": strings.Join(fields, ",")}).WithCause(err)
}

// JSON adapts a typed function into a HandlerFunc: the JSON body (if any) is
// decoded into Req and validated, path and query parameters are bound through
// `uri` and `form` tags, and the result is written as JSON with 200.
//
//	s.POST("/users", http.JSON(svc.CreateUser)) // func(ctx, *CreateUserReq) (*User, error)
func JSON[Req, Resp any](fn func(ctx context.Context, req *Req) (*Resp, error)) HandlerFunc {
	return takesContext(func(c *Context) error {
		req := new(Req)
		if len(c.Params) > 0 {
			if err := c.ShouldBindUri(req); err != nil {
				return errors.BadRequest("INVALID_FIELD", "path parameter: "+err.Error()).WithCause(err)
			}
		}
		if c.Request.URL.RawQuery != "" {
			if err := c.ShouldBindQuery(req); err != nil {
				return errors.BadRequest("INVALID_FIELD", "query parameter: "+err.Error()).WithCause(err)
			}
		}
		if c.Request.ContentLength != 0 && c.Request.Method != http.MethodGet {
			if err := DecodeJSON(c.Request.Body, req); err != nil {
				return err
			}
		}
		if err := Validate(req); err != nil {
			return err
		}
		resp, err := fn(c.chainContext(), req)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, resp)
		return nil
	})
}
