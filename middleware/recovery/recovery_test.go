package recovery_test

import (
	"bytes"
	"context"
	stderrors "errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware/recovery"
)

func TestPanicBecomesInternalErrorAndIsLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := recovery.Recovery(logger)(func(context.Context, any) (any, error) {
		var items []int
		return items[len(items)+1], nil // index out of range: a real runtime panic
	})
	reply, err := h(context.Background(), nil)
	if reply != nil || !stderrors.Is(err, recovery.ErrPanic) || errors.Code(err) != 500 {
		t.Fatalf("reply %v err %v", reply, err)
	}
	if !strings.Contains(buf.String(), "index out of range") || !strings.Contains(buf.String(), "recovery_test.go") {
		t.Fatalf("log lacks panic value or stack: %s", buf.String())
	}
	if strings.Contains(err.(*errors.Error).Public(true).Message, "out of range") {
		t.Fatal("panic text would reach the client")
	}
	// the handler chain keeps working after a panic
	ok := recovery.Recovery(logger)(func(context.Context, any) (any, error) { return "fine", nil })
	if r, err := ok(context.Background(), nil); r != "fine" || err != nil {
		t.Fatal(r, err)
	}
}
