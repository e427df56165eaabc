// scaffolded by gctl; safe to edit.

// Package handler holds the HTTP routes. Handlers return errors; the server
// renders them. Typed handlers (xhttp.JSON) bind path, query and JSON body and
// answer bad input with a 400 that names the field.
package handler

import (
	"context"
	"strings"

	xhttp "github.com/goxkit/gox/transport/http"

	"shop/internal/errs"
)

// Register mounts the routes on s.
func Register(s *xhttp.Server) {
	v1 := s.Group("/v1")
	v1.GET("/hello/:name", xhttp.JSON(Hello))
	v1.POST("/echo", xhttp.JSON(Echo))
}

// HelloRequest is the input of Hello.
type HelloRequest struct {
	Name string `uri:"name" binding:"required,max=64"`
}

// HelloReply is the output of Hello.
type HelloReply struct {
	Message string `json:"message"`
}

// Hello greets someone: GET /v1/hello/:name.
func Hello(_ context.Context, req *HelloRequest) (*HelloReply, error) {
	if strings.EqualFold(req.Name, "nobody") {
		return nil, errs.ErrNobody
	}
	return &HelloReply{Message: "hello, " + req.Name}, nil
}

// EchoMessage is the body of Echo, in and out.
type EchoMessage struct {
	Text  string   `json:"text" binding:"required"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

// Echo returns its JSON body: POST /v1/echo.
func Echo(_ context.Context, req *EchoMessage) (*EchoMessage, error) {
	return req, nil
}
