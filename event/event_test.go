package event_test

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/goxtest"
	xhttp "github.com/goxkit/gox/transport/http"
)

type order struct {
	ID    int `json:"id"`
	Total int `json:"total"`
}

func sample(t *testing.T) event.Event {
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

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// recorder is a listener that keeps what it saw.
type recorder struct {
	mu   sync.Mutex
	seen []event.Event
	fail error
}

func (r *recorder) Handle(_ context.Context, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, e)
	return r.fail
}

func (r *recorder) events() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.seen...)
}

func same(t *testing.T, got, want event.Event) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Fatalf("time %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("event changed on the way:\n got  %+v\n want %+v", got, want)
	}
}

func TestValidateNamesTheAttribute(t *testing.T) {
	for attr, mutate := range map[string]func(*event.Event){
		"specversion":     func(e *event.Event) { e.SpecVersion = "" },
		"id":              func(e *event.Event) { e.ID = "" },
		"source":          func(e *event.Event) { e.Source = "" },
		"type":            func(e *event.Event) { e.Type = "" },
		"dataschema":      func(e *event.Event) { e.DataSchema = "relative/path" },
		"datacontenttype": func(e *event.Event) { e.DataContentType = "not a type" },
		"Tenant-ID":       func(e *event.Event) { e.Extensions = map[string]string{"Tenant-ID": "x"} },
	} {
		e := sample(t)
		mutate(&e)
		var verr *event.ValidationError
		if err := e.Validate(); !stderrors.As(err, &verr) || verr.Attribute != attr {
			t.Fatalf("%s: Validate() = %v", attr, err)
		}
	}
	e := sample(t)
	e.SpecVersion = "0.3"
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), `"0.3" is not supported`) {
		t.Fatalf("specversion 0.3: %v", err)
	}
}

func TestJSONFormatRoundTrip(t *testing.T) {
	for name, mutate := range map[string]func(*event.Event){
		"json data":   func(*event.Event) {},
		"text data":   func(e *event.Event) { e.DataContentType, e.Data = "text/plain", []byte("hello\n") },
		"binary data": func(e *event.Event) { e.DataContentType, e.Data = "application/octet-stream", []byte{0, 1, 2, 255} },
		"no data":     func(e *event.Event) { e.DataContentType, e.Data = "", nil },
	} {
		e := sample(t)
		mutate(&e)
		b, err := e.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var back event.Event
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		same(t, back, e)
	}
}

// serve runs a gox HTTP server with the event route on bus.
func serve(t *testing.T, bus *event.Bus, opts ...xhttp.Option) *xhttp.Client {
	t.Helper()
	s, err := xhttp.NewServer(xhttp.DefaultConfig(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	event.Route(s, bus, "")
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := xhttp.NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveProduction is serve with production error rendering.
func serveProduction(t *testing.T, bus *event.Bus) *xhttp.Client {
	return serve(t, bus, xhttp.WithProduction(true))
}

func TestHTTPBothModes(t *testing.T) {
	rec := &recorder{}
	second := &recorder{}
	c := serve(t, event.NewBus(event.Listeners{"com.example.order.created": {rec, second}}))
	ctx := context.Background()
	want := sample(t)
	for _, s := range []*event.HTTPSender{event.NewHTTPSender(c), event.NewHTTPSender(c, event.Structured())} {
		if err := s.Send(ctx, want); err != nil {
			t.Fatal(err)
		}
	}
	seen := rec.events()
	if len(seen) != 2 || len(second.events()) != 2 {
		t.Fatalf("%d and %d events seen; want both listeners to see both", len(seen), len(second.events()))
	}
	for _, got := range seen {
		same(t, got, want)
	}
}

// post sends a raw request to the event route.
func post(t *testing.T, c *xhttp.Client, h http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.URL(event.PathEvent), strings.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPBadEventsGet400NamingTheAttribute(t *testing.T) {
	rec := &recorder{}
	c := serve(t, event.NewBus(event.Listeners{"t": {rec}}))
	binary := func(drop string) http.Header {
		h := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}, "Content-Type": {"application/json"}}
		delete(h, drop)
		return h
	}
	for _, attr := range []string{"specversion", "id", "source", "type"} {
		code, body := post(t, c, binary("Ce-"+strings.ToUpper(attr[:1])+attr[1:]), `{}`)
		if code != 400 || !strings.Contains(body, "attribute "+attr+": missing") || !strings.Contains(body, `"attribute":"`+attr+`"`) {
			t.Fatalf("binary without %s: %d %s", attr, code, body)
		}
		structured := map[string]string{"specversion": `"1.0"`, "id": `"1"`, "source": `"/s"`, "type": `"t"`}
		delete(structured, attr)
		var parts []string
		for k, v := range structured {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		code, body = post(t, c, http.Header{"Content-Type": {event.MediaType}}, "{"+strings.Join(parts, ",")+"}")
		if code != 400 || !strings.Contains(body, "attribute "+attr+": missing") {
			t.Fatalf("structured without %s: %d %s", attr, code, body)
		}
	}
	if code, body := post(t, c, http.Header{"Content-Type": {"application/json"}}, `{"id":1}`); code != 400 || !strings.Contains(body, "specversion") {
		t.Fatalf("not a cloudevent at all: %d %s", code, body)
	}
	if code, body := post(t, c, http.Header{"Content-Type": {event.MediaType}}, `{"specversion":`); code != 400 {
		t.Fatalf("truncated JSON: %d %s", code, body)
	}
	if n := len(rec.events()); n != 0 {
		t.Fatalf("the listener saw %d invalid events", n)
	}
}

var errOutOfStock = errors.Conflict("OUT_OF_STOCK", "item 9 is out of stock")

func TestHTTPListenerErrorsAndUnknownTypes(t *testing.T) {
	ctx := context.Background()
	failing := &recorder{fail: errOutOfStock}
	c := serve(t, event.NewBus(event.Listeners{"com.example.order.created": {failing}}, event.WithUnknown(event.UnknownReject), event.WithLogger(quiet())))
	err := event.NewHTTPSender(c).Send(ctx, sample(t))
	if !stderrors.Is(err, errOutOfStock) {
		t.Fatalf("the listener's coded error did not cross the wire: %v", err)
	}
	other := sample(t)
	other.Type = "com.example.unheard.of"
	if err := event.NewHTTPSender(c).Send(ctx, other); errors.Code(err) != 404 || !strings.Contains(err.Error(), "com.example.unheard.of") {
		t.Fatalf("unknown type with UnknownReject: %v", err)
	}
	acking := serve(t, event.NewBus(nil, event.WithLogger(quiet())))
	if err := event.NewHTTPSender(acking).Send(ctx, other); err != nil {
		t.Fatalf("unknown type with the default policy: %v", err)
	}
}

func TestGRPC(t *testing.T) {
	rec := &recorder{}
	bus := event.NewBus(event.Listeners{"com.example.order.created": {rec}, "com.example.fails": {&recorder{fail: errOutOfStock}}},
		event.WithUnknown(event.UnknownReject), event.WithLogger(quiet()))
	conn := grpcPeer(t, bus)
	sender := event.NewGRPCSender(conn)
	ctx := context.Background()
	want := sample(t)
	if err := sender.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	if seen := rec.events(); len(seen) != 1 {
		t.Fatalf("%d events seen", len(seen))
	} else {
		same(t, seen[0], want)
	}
	// a raw client that skips validation gets InvalidArgument naming the attribute
	bad := event.ToProto(want)
	bad.Source = ""
	_, err := eventClient(conn).Send(ctx, bad)
	if errors.Code(err) != 400 || !strings.Contains(err.Error(), "attribute source: missing") {
		t.Fatalf("missing source over gRPC: %v", err)
	}
	fails := sample(t)
	fails.Type = "com.example.fails"
	if err := sender.Send(ctx, fails); !stderrors.Is(err, errOutOfStock) {
		t.Fatalf("listener error over gRPC: %v", err)
	}
	fails.Type = "com.example.unknown"
	if err := sender.Send(ctx, fails); errors.Code(err) != 404 {
		t.Fatalf("unknown type over gRPC: %v", err)
	}
}

func TestChannelIsAsyncOrderedAndDrainsOnStop(t *testing.T) {
	var mu sync.Mutex
	var order []string
	release, entered := make(chan struct{}), make(chan struct{}, 8)
	listen := func(name string) event.Listener {
		return event.ListenerFunc(func(_ context.Context, e event.Event) error {
			entered <- struct{}{}
			<-release
			mu.Lock()
			order = append(order, name+":"+e.ID)
			mu.Unlock()
			return nil
		})
	}
	ch := event.NewChannel(event.NewBus(event.Listeners{"t": {listen("a"), listen("b")}}), event.WithBuffer(2))
	ctx := context.Background()
	send := func(id string) error {
		return ch.Send(ctx, event.Event{SpecVersion: "1.0", ID: id, Source: "/s", Type: "t"})
	}
	for _, id := range []string{"1", "2", "3"} {
		if err := send(id); err != nil {
			t.Fatal(err) // Send returned although the listeners are blocked: asynchronous
		}
		if id == "1" {
			<-entered // the worker holds event 1; the buffer holds the next two
		}
	}
	if err := send("4"); !stderrors.Is(err, event.ErrChannelFull) {
		t.Fatalf("a fourth event with a buffer of 2 (one taken by the worker): %v", err)
	}
	if err := ch.Send(ctx, event.Event{ID: "x"}); err == nil {
		t.Fatal("an invalid event was queued")
	}
	close(release)
	if err := ch.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "a:1 b:1 a:2 b:2 a:3 b:3" {
		t.Fatalf("dispatched %s; want every queued event, listeners in order", got)
	}
	if err := send("5"); !stderrors.Is(err, event.ErrStopped) {
		t.Fatalf("send after stop: %v", err)
	}
}

func TestBrokerRetriesAndDeadLetters(t *testing.T) {
	b := broker.NewMemory()
	ctx := context.Background()
	var attempts sync.Map
	ok := &recorder{}
	bus := event.NewBus(event.Listeners{
		"com.example.order.created": {ok},
		"com.example.flaky": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
			n, _ := attempts.LoadOrStore(e.ID, new(int))
			*n.(*int)++
			return stderrors.New("downstream unavailable")
		})},
	}, event.WithUnknown(event.UnknownReject), event.WithLogger(quiet()))
	c, err := event.NewConsumer(b, "events", bus, broker.ConsumerOptions{Group: "g", Retry: 2, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	sender := event.NewBrokerSender(b, "events")
	want := sample(t)
	flaky := sample(t)
	flaky.ID, flaky.Type = "flaky-1", "com.example.flaky"
	unknown := sample(t)
	unknown.ID, unknown.Type = "unknown-1", "com.example.nobody"
	for _, e := range []event.Event{want, flaky, unknown} {
		if err := sender.Send(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Publish(ctx, "events", &broker.Message{ID: "garbage-1", Body: []byte("not json")}); err != nil {
		t.Fatal(err)
	}
	var letters []broker.DeadLetter
	goxtest.Eventually(t, 10*time.Second, func() bool {
		letters, _ = b.ListDeadLetters(ctx, "events", "g", 0)
		return len(letters) == 3
	})
	byID := map[string]broker.DeadLetter{}
	for _, l := range letters {
		byID[l.Message.ID] = l
	}
	if l := byID["flaky-1"]; l.Attempts != 3 || !strings.Contains(l.Error, "downstream unavailable") {
		t.Fatalf("flaky listener's dead letter %+v; want 3 attempts (retry 2) and its error", l)
	}
	if l := byID["unknown-1"]; l.Attempts != 1 || !strings.Contains(l.Error, "com.example.nobody") {
		t.Fatalf("unknown type's dead letter %+v; want it at once", l)
	}
	if l := byID["garbage-1"]; l.Attempts != 1 || !strings.Contains(l.Error, "not a valid CloudEvent") {
		t.Fatalf("garbage's dead letter %+v; want it at once", l)
	}
	if seen := ok.events(); len(seen) != 1 {
		t.Fatalf("the good event was seen %d times", len(seen))
	} else {
		same(t, seen[0], want)
	}
}
