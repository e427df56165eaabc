package event_test

import (
	"context"
	stderrors "errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
	"github.com/goxkit/gox/goxtest"
)

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
		e := eventtest.Sample(t)
		mutate(&e)
		var verr *event.ValidationError
		if err := e.Validate(); !stderrors.As(err, &verr) || verr.Attribute != attr {
			t.Fatalf("%s: Validate() = %v", attr, err)
		}
	}
	e := eventtest.Sample(t)
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
		e := eventtest.Sample(t)
		mutate(&e)
		b, err := e.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var back event.Event
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		eventtest.Same(t, back, e)
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
	ok := &eventtest.Recorder{}
	bus := event.NewBus(event.Listeners{
		"com.example.order.created": {ok},
		"com.example.flaky": {event.ListenerFunc(func(_ context.Context, e event.Event) error {
			n, _ := attempts.LoadOrStore(e.ID, new(int))
			*n.(*int)++
			return stderrors.New("downstream unavailable")
		})},
	}, event.WithUnknown(event.UnknownReject), event.WithLogger(eventtest.Quiet()))
	c, err := event.NewConsumer(b, "events", bus, broker.ConsumerOptions{Group: "g", Retry: 2, Logger: eventtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	defer c.Stop(ctx)
	sender := event.NewBrokerSender(b, "events")
	want := eventtest.Sample(t)
	flaky := eventtest.Sample(t)
	flaky.ID, flaky.Type = "flaky-1", "com.example.flaky"
	unknown := eventtest.Sample(t)
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
	if seen := ok.Events(); len(seen) != 1 {
		t.Fatalf("the good event was seen %d times", len(seen))
	} else {
		eventtest.Same(t, seen[0], want)
	}
}
