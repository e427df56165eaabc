package validate_test

import (
	"context"
	"fmt"
	"reflect"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/validate"
)

type signup struct {
	Email string `json:"email" binding:"required,email"`
	Tags  []struct {
		Name string `json:"name" binding:"required"`
	} `json:"tags" binding:"dive"`
}

// A request that breaks its `binding` rules is refused before the handler
// runs, with one coded error naming each field as the client sent it.
func Example() {
	handler := func(ctx context.Context, req any) (any, error) { return "welcome", nil }
	chain := middleware.Chain(validate.Server(validate.WithSkip(middleware.Exact("/admin.v1.Admin/Import"))))
	h := chain(handler)

	req := &signup{Email: "not-an-email"}
	req.Tags = append(req.Tags, struct {
		Name string `json:"name" binding:"required"`
	}{})
	_, err := h(context.Background(), req)

	e := errors.FromError(err)
	fmt.Println(e.Code, e.Reason)
	fmt.Println(e.Message)
	fmt.Println(e.Metadata["field"])
	// Output:
	// 400 INVALID_FIELD
	// field "email" fails "email"; field "tags[0].name" fails "required"
	// email,tags[0].name
}

type invoice struct {
	Lines []struct {
		SKU string `json:"sku"`
	} `json:"lines"`
	Page int `form:"page"`
}

// FieldPath names a field that go-playground/validator reports by its Go
// path as the client sent it.
func ExampleFieldPath() {
	t := reflect.TypeFor[*invoice]()
	fmt.Println(validate.FieldPath(t, "invoice.Lines[2].SKU"))
	fmt.Println(validate.FieldPath(t, "invoice.Page"))
	// Output:
	// lines[2].sku
	// page
}
