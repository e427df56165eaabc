// Package option applies functional options, the loop that every gox
// contrib backend's constructors (New and Open) share. It knows nothing of
// any backend's options.
package option

// Apply returns o with every option of opts applied to it, in order.
func Apply[O any, F ~func(*O)](o O, opts []F) O {
	for _, f := range opts {
		f(&o)
	}
	return o
}
