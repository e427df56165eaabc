// Package eventtest is what the tests of event, eventhttp and eventgrpc
// share: a sample event, a listener that records, peers serving a bus over
// each binding, and the round trip through every encoder that each
// decoder's fuzz target holds an accepted event to. It is for tests only.
package eventtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/eventgrpc"
	"github.com/goxkit/gox/event/eventhttp"
	"github.com/goxkit/gox/goxtest"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

type order struct {
	ID    int `json:"id"`
	Total int `json:"total"`
}

// Sample is an order event with every optional attribute and two
// extensions.
func Sample(t testing.TB) event.Event {
	t.Helper()
	e, err := event.New("com.example.order.created", "/orders", order{ID: 7, Total: 42})
	if err != nil {
		t.Fatal(err)
	}
	e.Subject, e.DataSchema = "order-7", "https://example.com/schemas/order.json"
	e.Time = e.Time.Truncate(time.Microsecond)
	e.Extensions = map[string]string{"tenant": "acme", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	return e
}

// Quiet is a logger that drops everything.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ErrOutOfStock is a listener's coded 4xx.
var ErrOutOfStock = errors.Conflict("OUT_OF_STOCK", "item 9 is out of stock")

// Recorder is a listener that keeps what it saw and returns Fail.
type Recorder struct {
	Fail error

	mu   sync.Mutex
	seen []event.Event
}

// Handle implements event.Listener.
func (r *Recorder) Handle(_ context.Context, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, e)
	return r.Fail
}

// Events is what the listener saw, in order.
func (r *Recorder) Events() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.seen...)
}

// Same fails unless got is want.
func Same(t testing.TB, got, want event.Event) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Fatalf("time %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("event changed on the way:\n got  %+v\n want %+v", got, want)
	}
}

// Forward is a listener that sends the event on.
func Forward(s event.Sender) event.Listener {
	return event.ListenerFunc(func(ctx context.Context, e event.Event) error { return s.Send(ctx, e) })
}

// Serve runs a gox HTTP server with the event route on bus and returns a
// client of it.
func Serve(t testing.TB, bus *event.Bus, opts ...xhttp.Option) *xhttp.Client {
	t.Helper()
	s, err := xhttp.NewServer(xhttp.DefaultConfig(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	eventhttp.Route(s, bus, "")
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := xhttp.NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Post sends a raw request to the event route and returns the status and
// body of the answer.
func Post(t testing.TB, c *xhttp.Client, h http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.URL(eventhttp.DefaultPath), strings.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// GRPCPeer runs a gox gRPC server serving bus and returns a connection to
// it.
func GRPCPeer(t testing.TB, bus *event.Bus) *grpc.ClientConn {
	t.Helper()
	cfg := xgrpc.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := xgrpc.NewServer(cfg, xgrpc.WithLogger(Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	eventgrpc.Register(s, bus)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	conn, err := xgrpc.Dial(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

type payment struct {
	Amount int `json:"amount"`
}

// Decodes is a listener that refuses data it cannot read as a payment by
// returning DataAs's error as is.
var Decodes = event.ListenerFunc(func(_ context.Context, e event.Event) error {
	var p payment
	return e.DataAs(&p)
})
