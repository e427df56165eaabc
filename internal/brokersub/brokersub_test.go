package brokersub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/broker"
)

// session is a fake backend session that records whether it was ended.
type session struct {
	topic, group string
	ended        bool
}

func newSubs(opened *[]*session) *Subs[*session] {
	return New(func(_ context.Context, topic, group string) (*session, error) {
		if group == "" {
			return nil, errors.New("no group")
		}
		s := &session{topic: topic, group: group}
		*opened = append(*opened, s)
		return s, nil
	}, func(s *session) { s.ended = true })
}

func TestLastUnsubscribeEndsTheSession(t *testing.T) {
	var opened []*session
	s := newSubs(&opened)
	ctx := context.Background()
	for range 2 {
		if err := s.Subscribe(ctx, "t", "g"); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Session(ctx, "t", "g"); err != nil || got != opened[0] || len(opened) != 1 {
		t.Fatalf("Session = %v, %v after %d opens; want the one session", got, err, len(opened))
	}
	_ = s.Unsubscribe(ctx, "t", "g")
	if opened[0].ended {
		t.Fatal("the first of two Unsubscribes ended the session")
	}
	_ = s.Unsubscribe(ctx, "t", "g")
	if !opened[0].ended {
		t.Fatal("the last Unsubscribe did not end the session")
	}
	if err := s.Subscribe(ctx, "t", ""); err == nil || err.Error() != "no group" {
		t.Fatalf("Subscribe with a failing open = %v; want open's error", err)
	}
}

func TestCloseEndsEverySessionOnce(t *testing.T) {
	var opened []*session
	s := newSubs(&opened)
	ctx := context.Background()
	_ = s.Subscribe(ctx, "a", "g")
	_, _ = s.Session(ctx, "b", "g")
	if !s.Close() || s.Close() {
		t.Fatal("Close should report true once, then false")
	}
	for _, o := range opened {
		if !o.ended {
			t.Errorf("session %s/%s not ended by Close", o.topic, o.group)
		}
	}
	if !s.Closed() {
		t.Error("Closed() = false after Close")
	}
	if _, err := s.Session(ctx, "a", "g"); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Session after Close = %v; want broker.ErrClosed", err)
	}
}

func TestPrepare(t *testing.T) {
	msg := &broker.Message{Body: []byte("12345")}
	o, err := Prepare("kafka", "t", msg, 5, []broker.PublishOption{broker.WithDelay(time.Second)})
	if err != nil || o.Delay != time.Second || msg.ID == "" {
		t.Fatalf("Prepare = %+v, %v (id %q); want the delay applied and an id", o, err, msg.ID)
	}
	_, err = Prepare("kafka", "t", &broker.Message{Body: []byte("123456")}, 5, nil)
	if err == nil || !strings.Contains(err.Error(), "kafka: publish to t: message") || !strings.Contains(err.Error(), "6 bytes, over the limit of 5") {
		t.Fatalf("Prepare of an oversized body = %v; want an error naming backend, topic and sizes", err)
	}
}

func TestLetterReadsDeadLetterHeadersBack(t *testing.T) {
	at := time.Unix(100, 0)
	own := map[string]string{"own": "kept"}
	h := DeadLetterHeaders(own, errors.New("boom"), 3, "g")
	if len(own) != 1 {
		t.Fatal("DeadLetterHeaders changed the message's own headers")
	}
	m := &broker.Message{ID: "1", Headers: h, Attempt: 1}
	l := Letter(m, "g", at)
	if l.Error != "boom" || l.Attempts != 3 || l.Group != "g" || !l.At.Equal(at) || l.Message.Attempt != 3 {
		t.Fatalf("Letter = %+v", l)
	}
	if len(l.Message.Headers) != 1 || l.Message.Headers["own"] != "kept" {
		t.Fatalf("Letter kept headers %v; want only the message's own", l.Message.Headers)
	}
	if _, ok := DeadLetterHeaders(nil, nil, 1, "g")[broker.HeaderError]; ok {
		t.Fatal("DeadLetterHeaders(nil cause) has an error header")
	}
}

func TestReplaySendsTheWantedOnceInOrder(t *testing.T) {
	var sent []string
	id := func(s string) string { return s }
	n, err := Replay([]string{"a", "b", "a", "c"}, []string{"c", "a"}, id, func(s string) error { sent = append(sent, s); return nil })
	if err != nil || n != 2 || strings.Join(sent, ",") != "a,c" {
		t.Fatalf("Replay = %d, %v, sent %v; want a then c, once each", n, err, sent)
	}
	n, err = Replay([]string{"a", "b"}, []string{"a", "b"}, id, func(s string) error {
		if s == "b" {
			return errors.New("down")
		}
		return nil
	})
	if n != 1 || err == nil {
		t.Fatalf("Replay with a failing send = %d, %v; want 1 and the error", n, err)
	}
}
