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

var errBoom = stderrors.New("boom")

// The error a panic becomes carries the panic's stack, its first frame the
// panic site, so that an error reporter shows where the panic happened.
func TestPanicErrorCarriesThePanicSite(t *testing.T) {
	cases := []struct {
		name, site string
		panics     func()
	}{
		{"value", "recovery_test.panicsWithValue", panicsWithValue},
		{"runtime error", "recovery_test.TestPanicErrorCarriesThePanicSite.func1", func() { var s []int; _ = s[len(s)+1] }},
		{"error", "recovery_test.panicsWithError", panicsWithError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := recovery.Recovery(slog.New(slog.DiscardHandler))(func(context.Context, any) (any, error) {
				c.panics()
				return nil, nil
			})
			_, err := h(context.Background(), nil)
			p, ok := stderrors.AsType[*recovery.PanicError](err)
			if !ok {
				t.Fatalf("error %v has no PanicError", err)
			}
			lines := strings.Split(p.Stack, "\n")
			if !strings.HasPrefix(lines[0], "goroutine ") || !strings.Contains(lines[1], c.site) {
				t.Fatalf("stack does not start at the panic site %s:\n%s", c.site, p.Stack)
			}
			if strings.Contains(p.Stack, "recovery.Recovery") || strings.Contains(p.Stack, "\npanic(") {
				t.Fatalf("stack keeps the recovery's frames:\n%s", p.Stack)
			}
			if !strings.Contains(p.Stack, "recovery_test.go") {
				t.Fatalf("stack lacks the test file:\n%s", p.Stack)
			}
		})
	}
	_, err := recovery.Recovery(slog.New(slog.DiscardHandler))(func(context.Context, any) (any, error) {
		panicsWithError()
		return nil, nil
	})(context.Background(), nil)
	if !stderrors.Is(err, errBoom) || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("panic(err): %v; want errors.Is the panicked error", err)
	}
}

func panicsWithValue() { panic("handler bug") }

func panicsWithError() { panic(errBoom) }
