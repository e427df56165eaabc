package bench

import (
	"context"
	"testing"

	"buf.build/go/protovalidate"
	"github.com/go-playground/validator/v10"

	pvcontrib "github.com/goxkit/gox/contrib/validate/protovalidate"
	"github.com/goxkit/gox/contrib/validate/protovalidate/testpb"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/validate"
	"github.com/goxkit/gox/transport"
)

// createUser is the struct twin of testpb.CreateUserRequest: the same
// fields and rules as `binding` tags.
type createUser struct {
	Name        string `json:"name" binding:"min=3"`
	Email       string `json:"email" binding:"omitempty,email"`
	Age         int32  `json:"age" binding:"gte=0,lte=150"`
	Items       []item `json:"items" binding:"dive"`
	DisplayName string `json:"display_name" binding:"max=10"`
}

type item struct {
	Name string `json:"name" binding:"required"`
}

// BenchmarkValidate is the validation middleware's cost per request,
// around a no-op handler with a gRPC transport in the context, beside the
// raw validator call it makes (go-playground/validator for a struct,
// protovalidate for a proto message), for a valid and an invalid small
// request. The gap between "middleware" and "raw" is what gox adds: the
// type switch, and for an invalid request the coded error with its field
// list.
func BenchmarkValidate(b *testing.B) {
	okStruct := &createUser{Name: "alice", Email: "a@example.com", Age: 30, Items: []item{{Name: "a"}}}
	badStruct := &createUser{Name: "al", Email: "nope", Age: 200, Items: []item{{}}}
	okProto := &testpb.CreateUserRequest{Name: "alice", Email: "a@example.com", Age: 30, Items: []*testpb.Item{{Name: "a"}}}
	badProto := &testpb.CreateUserRequest{Name: "al", Email: "nope", Age: 200, Items: []*testpb.Item{{}}}

	raw := validator.New()
	raw.SetTagName("binding")
	rawPV, err := protovalidate.New()
	if err != nil {
		b.Fatal(err)
	}
	pv, err := pvcontrib.New()
	if err != nil {
		b.Fatal(err)
	}
	h := validate.Server(validate.WithProto(pv))(noop)
	ctx := transport.NewServerContext(context.Background(), goxtest.NewTransport(transport.KindGRPC, "/gox.validatetest.v1.Users/CreateUser"))

	cases := []struct {
		name string
		req  any
		raw  func() error
	}{
		{"struct/valid", okStruct, func() error { return raw.Struct(okStruct) }},
		{"struct/invalid", badStruct, func() error { return raw.Struct(badStruct) }},
		{"proto/valid", okProto, func() error { return rawPV.Validate(okProto) }},
		{"proto/invalid", badProto, func() error { return rawPV.Validate(badProto) }},
	}
	for _, c := range cases {
		wantErr := c.raw() != nil
		if _, err := h(ctx, c.req); (err != nil) != wantErr {
			b.Fatalf("%s: middleware %v, raw wants error %v", c.name, err, wantErr)
		}
		b.Run(c.name+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.raw()
			}
		})
		b.Run(c.name+"/middleware", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h(ctx, c.req)
			}
		})
	}
}
