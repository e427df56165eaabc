package metrics_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	gm "github.com/goxkit/gox/metrics"
	mmw "github.com/goxkit/gox/middleware/metrics"
	"github.com/goxkit/gox/transport"
)

type recorder struct {
	mu       sync.Mutex
	inflight map[string]float64
	observed []string
}

func (r *recorder) InFlight(kind string, d float64) {
	r.mu.Lock()
	r.inflight[kind] += d
	r.mu.Unlock()
}
func (r *recorder) Observe(kind, op, code string, _ float64) {
	r.mu.Lock()
	r.observed = append(r.observed, kind+" "+op+" "+code)
	r.mu.Unlock()
}

func TestRecordsCodeAndInFlight(t *testing.T) {
	r := &recorder{inflight: map[string]float64{}}
	var during float64
	h := mmw.Server(r)(func(context.Context, any) (any, error) {
		during = r.inflight["grpc"]
		return nil, errors.Unavailable("", "down")
	})
	_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindGRPC, "/a.A/B")), nil)
	if during != 1 || r.inflight["grpc"] != 0 {
		t.Fatalf("in flight during %v after %v", during, r.inflight["grpc"])
	}
	if len(r.observed) != 1 || r.observed[0] != "grpc /a.A/B 503" {
		t.Fatalf("observed %v", r.observed)
	}
}

// binder is a recorder that can bind: what a Bound records goes into the same
// lists, tagged "bound", so a test can tell which path recorded.
type binder struct {
	recorder
	binds []string
}

func (b *binder) Bind(kind, op string) gm.Bound {
	b.mu.Lock()
	b.binds = append(b.binds, kind+" "+op)
	b.mu.Unlock()
	return &boundRec{b, kind, op}
}

type boundRec struct {
	b        *binder
	kind, op string
}

func (r *boundRec) InFlight(d float64) { r.b.InFlight(r.kind, d) }
func (r *boundRec) Observe(code string, s float64) {
	r.b.recorder.Observe(r.kind, r.op, code+" bound", s)
}

// With a Binder, each operation is bound once and every call records
// through its Bound; a transport of another kind under an operation already
// bound records unbound, in its own kind's series.
func TestBindsEachOperationOnce(t *testing.T) {
	b := &binder{recorder: recorder{inflight: map[string]float64{}}}
	var during float64
	h := mmw.Server(b)(func(ctx context.Context, _ any) (any, error) {
		tr, _ := transport.FromServerContext(ctx)
		during = b.inflight[string(tr.Kind())]
		if tr.Operation() == "GET /missing" {
			return nil, errors.NotFound("", "no")
		}
		return nil, nil
	})
	call := func(kind transport.Kind, op string) {
		_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(kind, op)), nil)
		if during != 1 || b.inflight[string(kind)] != 0 {
			t.Fatalf("%s %s: in flight during %v after %v", kind, op, during, b.inflight[string(kind)])
		}
	}
	call(transport.KindHTTP, "GET /a")
	call(transport.KindHTTP, "GET /a")
	call(transport.KindHTTP, "GET /missing")
	call(transport.KindHTTP, "GET /a") // back to an operation bound before
	call(transport.KindGRPC, "GET /a")
	want := []string{"http GET /a 200 bound", "http GET /a 200 bound", "http GET /missing 404 bound", "http GET /a 200 bound", "grpc GET /a 200"}
	if strings.Join(b.observed, ", ") != strings.Join(want, ", ") {
		t.Fatalf("observed %v, want %v", b.observed, want)
	}
	if strings.Join(b.binds, ", ") != "http GET /a, http GET /missing" {
		t.Fatalf("binds %v", b.binds)
	}
}

func TestCodeString(t *testing.T) {
	for _, c := range []int{0, 200, 404, 499, 599, 600, 1000, -1} {
		if got, want := mmw.CodeString(c), strconv.Itoa(c); got != want {
			t.Errorf("CodeString(%d) = %q, want %q", c, got, want)
		}
	}
}

// A handler's panic passes through on its way to the recovery middleware,
// but the call leaves the in-flight gauge and counts as the 500 it becomes,
// bound or not.
func TestPanicLeavesInFlight(t *testing.T) {
	plain := &recorder{inflight: map[string]float64{}}
	b := &binder{recorder: recorder{inflight: map[string]float64{}}}
	for _, r := range []gm.Recorder{plain, b} {
		h := mmw.Server(r)(func(context.Context, any) (any, error) { panic("handler bug") })
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach the caller")
				}
			}()
			_, _ = h(goxtest.ServerContext(context.Background(), goxtest.NewTransport(transport.KindHTTP, "GET /boom")), nil)
		}()
	}
	if plain.inflight["http"] != 0 || strings.Join(plain.observed, ",") != "http GET /boom 500" {
		t.Fatalf("unbound: in flight %v, observed %v", plain.inflight["http"], plain.observed)
	}
	if b.inflight["http"] != 0 || strings.Join(b.observed, ",") != "http GET /boom 500 bound" {
		t.Fatalf("bound: in flight %v, observed %v", b.inflight["http"], b.observed)
	}
}

// A client whose paths carry ids names a call per id: beyond MaxOperations
// distinct operations a chain records the rest as OtherOperation, so the
// series and the chain's memory stay bounded, bound or not.
func TestOperationsAreBounded(t *testing.T) {
	for _, bind := range []bool{true, false} {
		b := &binder{recorder: recorder{inflight: map[string]float64{}}}
		var r gm.Recorder = &b.recorder
		if bind {
			r = b
		}
		h := mmw.Client(r)(func(context.Context, any) (any, error) { return nil, nil })
		const n = mmw.MaxOperations + 500
		for i := range n {
			tr := goxtest.NewTransport(transport.KindHTTP, "GET /v1/users/"+strconv.Itoa(i))
			_, _ = h(transport.NewClientContext(context.Background(), tr), nil)
		}
		labels := map[string]int{}
		for _, o := range b.observed {
			labels[o]++
		}
		if len(labels) != mmw.MaxOperations+1 || labels["http "+mmw.OtherOperation+" 200"+map[bool]string{true: " bound", false: ""}[bind]] != 500 {
			t.Fatalf("bind %t: %d distinct labels, %d calls as %s; want %d and 500", bind, len(labels),
				labels["http "+mmw.OtherOperation+" 200 bound"]+labels["http "+mmw.OtherOperation+" 200"], mmw.OtherOperation, mmw.MaxOperations+1)
		}
		if bind && len(b.binds) != mmw.MaxOperations+1 {
			t.Fatalf("%d operations bound; want %d", len(b.binds), mmw.MaxOperations+1)
		}
	}
}
