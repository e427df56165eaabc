package http

import (
	"context"
	"testing"
)

// JSON called per request (a misuse: routes call it once) keeps at most
// maxHandlerDocs handlers described: memory stays bounded.
func TestHandlerDocsAreBounded(t *testing.T) {
	type in struct{}
	fn := func(context.Context, *in) (*in, error) { return nil, nil }
	hs := make([]HandlerFunc, 0, maxHandlerDocs+1000)
	t.Cleanup(func() { // leave the global table as the other tests found it
		for _, h := range hs {
			if _, ok := handlerDocs.LoadAndDelete(handlerKey(h)); ok {
				handlerDocCount.Add(-1)
			}
		}
	})
	for range maxHandlerDocs + 1000 {
		hs = append(hs, JSON(fn))
	}
	if n := handlerDocCount.Load(); n > maxHandlerDocs {
		t.Fatalf("%d handlers described; want at most %d", n, maxHandlerDocs)
	}
	n := 0
	handlerDocs.Range(func(any, any) bool { n++; return true })
	if n > maxHandlerDocs {
		t.Fatalf("%d entries kept; want at most %d", n, maxHandlerDocs)
	}
}
