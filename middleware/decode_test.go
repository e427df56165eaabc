package middleware_test

import (
	"context"
	"slices"
	"testing"

	"github.com/goxkit/gox/middleware"
)

type ctxTag struct{}

// Hooks see the decoded request and the decoder's context, in the order
// they were added; without one, Decoded does nothing.
func TestDecodeHooks(t *testing.T) {
	var got []string
	hook := func(name string) middleware.DecodeHook {
		return func(ctx context.Context, req any) {
			got = append(got, name+":"+req.(string)+":"+ctx.Value(ctxTag{}).(string))
		}
	}
	middleware.Decoded(context.Background(), "nobody listens") // no hook: nothing happens

	ctx := middleware.NewDecodeHookContext(context.Background(), hook("outer"))
	ctx = middleware.NewDecodeHookContext(ctx, nil) // ignored
	ctx = middleware.NewDecodeHookContext(ctx, hook("inner"))
	middleware.Decoded(context.WithValue(ctx, ctxTag{}, "decoder"), "req")
	middleware.Decoded(ctx, nil) // no request: no call
	if want := []string{"outer:req:decoder", "inner:req:decoder"}; !slices.Equal(got, want) {
		t.Fatalf("hooks saw %q, want %q", got, want)
	}
}

// A decoder calling Decoded on a call nobody hooks pays no allocation.
func TestDecodedWithoutHookAllocatesNothing(t *testing.T) {
	type req struct{ ID string }
	r := &req{ID: "42"}
	ctx := context.WithValue(context.Background(), ctxTag{}, "v")
	if n := testing.AllocsPerRun(1000, func() { middleware.Decoded(ctx, r) }); n != 0 {
		t.Fatalf("Decoded without a hook: %v allocations, want 0", n)
	}
}

func BenchmarkDecodedWithoutHook(b *testing.B) {
	type req struct{ ID string }
	r := &req{ID: "42"}
	ctx := context.WithValue(context.Background(), ctxTag{}, "v")
	b.ReportAllocs()
	for b.Loop() {
		middleware.Decoded(ctx, r)
	}
}
