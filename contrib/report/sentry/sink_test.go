package sentry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/goxkit/gox/contrib/report/sentry"
)

// sink stands in for Sentry: an HTTP endpoint that takes the envelopes
// sentry-go posts to /api/PROJECT/envelope/ and decodes them with
// sentry-go's own types. No Sentry server can run here; what Sentry does
// with an envelope (its ingestion) is not tested.
type sink struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	envelopes []envelope
	requests  int
	answer    func(w http.ResponseWriter) // nil: 200 with an id
	hold      chan struct{}               // when set, requests wait for it to close
}

// envelope is what one POST carried.
type envelope struct {
	Path        string
	Auth        string // X-Sentry-Auth
	Header      map[string]any
	Event       *sentrygo.Event
	Attachments []sentrygo.Attachment
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.close)
	return s
}

func (s *sink) close() {
	s.mu.Lock()
	if s.hold != nil {
		select {
		case <-s.hold:
		default:
			close(s.hold)
		}
	}
	s.mu.Unlock()
	s.srv.Close()
}

// dsn is the sink's DSN, with key as the public key and project 42.
func (s *sink) dsn(key string) string {
	return "http://" + key + "@" + s.srv.Listener.Addr().String() + "/42"
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests++
	hold, answer := s.hold, s.answer
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		s.t.Errorf("the envelope does not decode: %v\n%s", err, body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	env.Path, env.Auth = r.URL.Path, r.Header.Get("X-Sentry-Auth")
	s.mu.Lock()
	s.envelopes = append(s.envelopes, env)
	s.mu.Unlock()
	if answer != nil {
		answer(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, env.Event.EventID)
}

// received returns the envelopes received so far.
func (s *sink) received() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.envelopes...)
}

func (s *sink) requestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// only returns the one envelope received, failing the test otherwise.
func (s *sink) only() envelope {
	s.t.Helper()
	got := s.received()
	if len(got) != 1 {
		s.t.Fatalf("Sentry received %d envelopes, want 1", len(got))
	}
	return got[0]
}

// decodeEnvelope reads Sentry's envelope format: a header line, then items,
// each a header line (with the payload's length, or none: up to the next
// newline) and its payload.
func decodeEnvelope(b []byte) (envelope, error) {
	var env envelope
	rd := bufio.NewReader(bytes.NewReader(b))
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return env, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(line, &env.Header); err != nil {
		return env, fmt.Errorf("header: %w", err)
	}
	for {
		line, err := rd.ReadBytes('\n')
		if err == io.EOF && len(bytes.TrimSpace(line)) == 0 {
			return env, nil
		}
		if err != nil && err != io.EOF {
			return env, err
		}
		var item struct {
			Type        string `json:"type"`
			Length      *int   `json:"length"`
			Filename    string `json:"filename"`
			ContentType string `json:"content_type"`
		}
		if err := json.Unmarshal(line, &item); err != nil {
			return env, fmt.Errorf("item header %q: %w", line, err)
		}
		var payload []byte
		if item.Length != nil {
			payload = make([]byte, *item.Length)
			if _, err := io.ReadFull(rd, payload); err != nil {
				return env, fmt.Errorf("%s item: %w", item.Type, err)
			}
			if nl, err := rd.ReadByte(); err == nil && nl != '\n' {
				_ = rd.UnreadByte()
			}
		} else if payload, err = rd.ReadBytes('\n'); err != nil && err != io.EOF {
			return env, err
		}
		switch item.Type {
		case "event":
			env.Event = new(sentrygo.Event)
			if err := json.Unmarshal(payload, env.Event); err != nil {
				return env, fmt.Errorf("event: %w", err)
			}
		case "attachment":
			env.Attachments = append(env.Attachments, sentrygo.Attachment{
				Filename: item.Filename, ContentType: item.ContentType, Payload: payload,
			})
		}
	}
}

// newReporter returns a Reporter sending to s, closed when the test ends.
func newReporter(t *testing.T, s *sink, edit func(*sentry.Config), opts ...sentry.Option) *sentry.Reporter {
	t.Helper()
	c := sentry.DefaultConfig()
	c.DSN = s.dsn("publickey")
	c.Timeout = 10 * time.Second
	if edit != nil {
		edit(&c)
	}
	rep, err := sentry.New(c, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rep.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return rep
}
