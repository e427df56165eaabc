package http_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/goxkit/gox/errors"
	xhttp "github.com/goxkit/gox/transport/http"
)

func ExampleServer() {
	type CreateUser struct {
		Name string `json:"name" binding:"required"`
		Age  int    `json:"age"`
	}
	errTaken := errors.Conflict("NAME_TAKEN", "that name is taken")

	s, _ := xhttp.NewServer(xhttp.DefaultConfig())
	s.POST("/users", xhttp.JSON(func(_ context.Context, in *CreateUser) (*CreateUser, error) {
		if in.Name == "root" {
			return nil, errTaken
		}
		return in, nil
	}))

	for _, body := range []string{`{"name":"ann","age":3}`, `{"name":"root"}`, `{"name":"bo","age":"old"}`} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("POST", "/users", strings.NewReader(body)))
		fmt.Println(w.Code, strings.TrimSpace(strings.SplitN(w.Body.String(), `,"cause"`, 2)[0]))
	}
	// Output:
	// 200 {"name":"ann","age":3}
	// 409 {"code":409,"reason":"NAME_TAKEN","message":"that name is taken","data":null}
	// 400 {"code":400,"reason":"INVALID_FIELD","message":"field \"age\" must be int, got JSON string","data":{"field":"age"}
}
