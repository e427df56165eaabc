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
