package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/logging"
	"github.com/goxkit/gox/transport"
)

func TestAccessRecord(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	h := logging.Server(l)(func(context.Context, any) (any, error) {
		return nil, errors.NotFound("USER_NOT_FOUND", "no user 7")
	})
	_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, "GET /users/:id")), nil)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err, buf.String())
	}
	if rec["msg"] != "request" || rec["operation"] != "GET /users/:id" || rec["code"] != float64(404) || rec["reason"] != "USER_NOT_FOUND" || rec["level"] != "WARN" {
		t.Fatalf("record %v", rec)
	}
}

// A request's level follows its code: INFO for success, WARN for 4xx
// (499, the client canceled, among them: not the server's fault, yet a call
// that did not complete), ERROR for 5xx.
func TestLevelFollowsCode(t *testing.T) {
	for _, tc := range []struct {
		err   error
		level string
	}{
		{nil, "INFO"},
		{errors.NotFound("", "no"), "WARN"},
		{context.Canceled, "WARN"},
		{errors.New(errors.StatusClientClosed, errors.ReasonCanceled, "client left"), "WARN"},
		{context.DeadlineExceeded, "ERROR"},
		{errors.Unavailable("", "down"), "ERROR"},
	} {
		var buf bytes.Buffer
		h := logging.Server(slog.New(slog.NewJSONHandler(&buf, nil)))(func(context.Context, any) (any, error) { return nil, tc.err })
		_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindGRPC, "/s.S/M")), nil)
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatal(err, buf.String())
		}
		if rec["level"] != tc.level {
			t.Errorf("%v: level %v, want %s", tc.err, rec["level"], tc.level)
		}
	}
}
