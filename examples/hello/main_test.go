package main

import (
	"context"
	stderrors "errors"
	"log/slog"
	"testing"
	"time"

	"github.com/goxkit/gox/errors"
	xhttp "github.com/goxkit/gox/transport/http"
)

func TestHelloRunsAndStops(t *testing.T) {
	app, s, err := newApp("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	var base string
	for end := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if a := s.Addr(); a != "" {
			base = "http://" + a
		}
	}
	client, err := xhttp.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	var g Greeting
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if err = client.Invoke(ctx, "GET", "/v1/greet/ann", nil, &g); err == nil {
			break
		}
	}
	if err != nil || g.Message != "hello, ann" || g.Count != 1 {
		t.Fatalf("greet: %+v %v", g, err)
	}
	if err := client.Invoke(ctx, "GET", "/v1/greet/nobody", nil, nil); !stderrors.Is(err, ErrUnknownName) {
		t.Fatalf("nobody: %v", err)
	}
	if err := client.Invoke(ctx, "GET", "/v1/greet/r2d2", nil, nil); !isCode(err, 400) {
		t.Fatalf("non-alpha name: %v", err)
	}
	if err := client.Invoke(ctx, "GET", "/admin/count", nil, nil); !isCode(err, 401) {
		t.Fatalf("admin without token: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func isCode(err error, code int) bool { return err != nil && errors.Code(err) == code }
