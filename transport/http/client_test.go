package http_test

import (
	"context"
	stderrors "errors"
	"net/http"
	"testing"
	"time"

	xhttp "github.com/goxkit/gox/transport/http"
)

// start runs s on a free loopback port and stops it when the test ends.
func start(t *testing.T, s *xhttp.Server) string {
	t.Helper()
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background()) }()
	t.Cleanup(func() {
		_ = s.Stop(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Start returned %v after Stop", err)
		}
	})
	return u.String()
}

func TestClientDecodesErrorsIntoTheSameSentinel(t *testing.T) {
	for _, format := range []string{"envelope", "problem"} {
		t.Run(format, func(t *testing.T) {
			c := xhttp.DefaultConfig()
			c.Addr, c.ErrorFormat = "127.0.0.1:0", format
			base := start(t, newServer(t, c))
			cl, err := xhttp.NewClient(base)
			if err != nil {
				t.Fatal(err)
			}
			err = cl.Invoke(context.Background(), "GET", "/users/42", nil, nil)
			if !stderrors.Is(err, errUserNotFound) {
				t.Fatalf("errors.Is(%v, errUserNotFound) = false", err)
			}
			var out user
			if err := cl.Invoke(context.Background(), "POST", "/users", user{Name: "bo", Age: 2}, &out); err != nil || out.Name != "bo" {
				t.Fatalf("%v %+v", err, out)
			}
		})
	}
	if _, err := xhttp.NewClient("localhost:80"); err == nil {
		t.Fatal("a base URL without scheme was accepted")
	}
}

func TestStopDrainsInFlightRequests(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, _ := xhttp.NewServer(c)
	entered := make(chan struct{})
	s.GET("/slow", func(c *xhttp.Context) error {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		c.String(200, "done")
		return nil
	})
	u, _ := s.Endpoint()
	served := make(chan error, 1)
	go func() { served <- s.Start(context.Background()) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(u.String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		got <- resp.Status
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if status := <-got; status != "200 OK" {
		t.Fatalf("in-flight request got %q", status)
	}
	if err := <-served; err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := http.Get(u.String() + "/ping"); err == nil {
		t.Fatal("server still accepts after Stop")
	}
}
