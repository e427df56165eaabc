package validate_test

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
	"github.com/goxkit/gox/transport"
	xhttp "github.com/goxkit/gox/transport/http"
)

type address struct {
	City string `json:"city" binding:"required"`
}

type item struct {
	Name string `json:"name" binding:"required"`
}

type audit struct {
	By string `json:"by" binding:"required"`
}

// order has the shapes whose names a client sees: json tags, nesting,
// elements, map keys, an embedded struct, a query parameter, no tag.
type order struct {
	audit
	Text    string            `json:"text" binding:"required"`
	Address *address          `json:"address" binding:"required"`
	Items   []item            `json:"items" binding:"dive"`
	Tags    map[string]string `json:"tags" binding:"dive,max=3"`
	Note    string            `binding:"omitempty,min=2"`
	Page    int               `form:"page" json:"-" binding:"omitempty,lte=100"`
}

func valid() *order {
	return &order{audit: audit{By: "ann"}, Text: "t", Address: &address{City: "x"}}
}

// TestStructErrorIsTransportHTTPs: the middleware's error for a struct is
// the one gox's HTTP JSON routes answer today: same reason, message and
// field metadata.
func TestStructErrorIsTransportHTTPs(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(o *order)
		fields string
	}{
		{"missing field", func(o *order) { o.Text = "" }, "text"},
		{"nested", func(o *order) { o.Address.City = "" }, "address.city"},
		{"element", func(o *order) { o.Items = []item{{"a"}, {"b"}, {}} }, "items[2].name"},
		{"map key with a comma and a percent", func(o *order) { o.Tags = map[string]string{"a,b%": "long"} }, "tags[a%2Cb%25]"},
		{"embedded", func(o *order) { o.By = "" }, "by"},
		{"no tag", func(o *order) { o.Note = "n" }, "Note"},
		{"query parameter", func(o *order) { o.Page = 101 }, "page"},
		{"two at once", func(o *order) { o.By, o.Text = "", "" }, "by,text"},
	}
	v := validate.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid()
			tt.edit(o)
			got, want := v.Validate(o), xhttp.Validate(o)
			if want == nil || got == nil {
				t.Fatalf("got %v, transport/http %v", got, want)
			}
			g, w := errors.FromError(got), errors.FromError(want)
			if g.Code != 400 || g.Reason != w.Reason || g.Message != w.Message || g.Metadata["field"] != w.Metadata["field"] || g.Metadata["field"] != tt.fields {
				t.Fatalf("got %d %s %q %v\nwant %d %s %q %v (field %q)", g.Code, g.Reason, g.Message, g.Metadata, w.Code, w.Reason, w.Message, w.Metadata, tt.fields)
			}
			var vs validate.Violations
			if !stderrors.As(got, &vs) || len(vs) != len(strings.Split(tt.fields, ",")) {
				t.Fatalf("cause %v, want the violations of %q", vs, tt.fields)
			}
		})
	}
	if err := v.Validate(valid()); err != nil {
		t.Fatalf("valid request: %v", err)
	}
}

// fakeProto reports one violation per message it is given, so the
// middleware's proto path is tested without protovalidate (which
// contrib/validate/protovalidate tests).
type fakeProto struct{ calls int }

func (f *fakeProto) ValidateProto(msg proto.Message, failFast bool) ([]validate.Violation, error) {
	f.calls++
	if s, ok := msg.(*wrapperspb.StringValue); ok && s.Value == "" {
		vs := []validate.Violation{{Field: "value", Rule: "string.min_len", Description: "value length must be at least 1 characters"}, {Field: "other", Rule: "required"}}
		if failFast {
			vs = vs[:1]
		}
		return vs, nil
	}
	if _, ok := msg.(*wrapperspb.Int32Value); ok {
		return nil, stderrors.New("compilation error: bad CEL")
	}
	return nil, nil
}

func call(t *testing.T, m middleware.Middleware, op string, req any) (reached bool, err error) {
	t.Helper()
	h := m(func(ctx context.Context, req any) (any, error) {
		reached = true
		return nil, validate.Check(ctx, &order{}) // only an HTTP call carries a Validator
	})
	ctx := goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindGRPC, op))
	_, err = h(ctx, req)
	return reached, err
}

func TestMiddleware(t *testing.T) {
	fp := &fakeProto{}
	m := validate.Server(validate.WithProto(fp), validate.WithSkip(middleware.Prefix("/skip.")))
	bad := &order{}

	reached, err := call(t, m, "/svc.S/M", bad)
	if reached || errors.Reason(err) != validate.ReasonInvalidField || errors.Code(err) != 400 {
		t.Fatalf("bad struct: reached %v, err %v", reached, err)
	}
	if reached, err = call(t, m, "/skip.S/M", bad); !reached || err != nil {
		t.Fatalf("skipped operation: reached %v, err %v", reached, err)
	}
	if reached, err = call(t, m, "/svc.S/M", valid()); !reached || err != nil {
		t.Fatalf("valid struct: reached %v, err %v", reached, err)
	}
	for _, req := range []any{nil, []byte("raw"), "text", 7, (*order)(nil), (*wrapperspb.StringValue)(nil)} {
		if reached, err = call(t, m, "/svc.S/M", req); !reached || err != nil {
			t.Fatalf("%T request: reached %v, err %v", req, reached, err)
		}
	}

	reached, err = call(t, m, "/svc.S/M", wrapperspb.String(""))
	e := errors.FromError(err)
	if reached || e.Code != 400 || e.Metadata["field"] != "value,other" ||
		e.Message != `field "value" fails "string.min_len": value length must be at least 1 characters; field "other" fails "required"` {
		t.Fatalf("bad proto: reached %v, err %v", reached, err)
	}
	if reached, err = call(t, m, "/svc.S/M", wrapperspb.Int32(1)); reached || errors.Code(err) != 500 {
		t.Fatalf("rules that cannot be evaluated: reached %v, err %v, want a 500", reached, err)
	}
	// Without a ProtoValidator, proto messages pass.
	if reached, err = call(t, validate.Server(), "/svc.S/M", wrapperspb.String("")); !reached || err != nil {
		t.Fatalf("proto without a ProtoValidator: reached %v, err %v", reached, err)
	}
}

func TestFailFastReportsOneViolation(t *testing.T) {
	v := validate.New(validate.WithFailFast(), validate.WithProto(&fakeProto{}))
	for _, req := range []any{&order{}, wrapperspb.String("")} {
		var vs validate.Violations
		if err := v.Validate(req); !stderrors.As(err, &vs) || len(vs) != 1 {
			t.Fatalf("%T: %v, want one violation", req, err)
		}
	}
}

// TestHTTPRouteChecksAfterDecoding runs a real HTTP server: the
// middleware leaves the undecoded *http.Request alone and gives the route
// its Validator; the route decodes and calls Check, and the client gets the
// same answer as from a JSON route, which validates by itself.
func TestHTTPRouteChecksAfterDecoding(t *testing.T) {
	lis := listen(t)
	s, err := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithListener(lis),
		xhttp.WithMiddleware(validate.Server(validate.WithSkip(middleware.Exact("POST /skipped")))))
	if err != nil {
		t.Fatal(err)
	}
	echo := func(_ context.Context, o *order) (*order, error) { return o, nil }
	s.POST("/json", xhttp.JSON(echo))
	decodeAndCheck := func(c *xhttp.Context) error {
		o := &order{}
		if err := xhttp.DecodeJSON(c.Request.Body, o); err != nil {
			return err
		}
		if err := validate.Check(c.Request.Context(), o); err != nil {
			return err
		}
		c.JSON(http.StatusOK, o)
		return nil
	}
	s.POST("/checked", decodeAndCheck)
	s.POST("/skipped", decodeAndCheck)
	goxtest.Serve(t, s)
	base := "http://" + lis.Addr().String()

	body := `{"address":{"city":""},"items":[{}]}`
	codeJSON, fromJSON := post(t, base+"/json", body)
	codeChecked, fromChecked := post(t, base+"/checked", body)
	// the same answer but for the cause, which a server in development
	// shows: the validator's text on one side, the Violations on the other
	if codeJSON != 400 || codeChecked != 400 || withoutCause(t, fromJSON) != withoutCause(t, fromChecked) {
		t.Fatalf("JSON route %d %s\nchecked route %d %s", codeJSON, fromJSON, codeChecked, fromChecked)
	}
	var env struct {
		Reason string            `json:"reason"`
		Data   map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(fromChecked), &env); err != nil || env.Reason != "INVALID_FIELD" {
		t.Fatalf("body %s: %v", fromChecked, err)
	}
	fields := strings.Split(env.Data["field"], ",")
	for i, f := range fields {
		fields[i], _ = url.PathUnescape(f)
	}
	if strings.Join(fields, " ") != "by text address.city items[0].name" {
		t.Fatalf("fields %q", fields)
	}
	if code, got := post(t, base+"/skipped", body); code != 200 {
		t.Fatalf("skipped route: %d %s", code, got)
	}
}

func withoutCause(t *testing.T, body string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	delete(m, "cause")
	b, _ := json.Marshal(m)
	return string(b)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return lis
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
