package option

import "testing"

func TestApplyInOrder(t *testing.T) {
	type opts struct{ a, b int }
	type option func(*opts)
	o := Apply(opts{a: 1}, []option{func(o *opts) { o.b = 2 }, func(o *opts) { o.a = 3 }, func(o *opts) { o.b++ }})
	if o != (opts{a: 3, b: 3}) {
		t.Fatalf("Apply = %+v; want a=3 b=3", o)
	}
}
