package apigen

import (
	"strings"
	"testing"
)

// FuzzParsePath: any path in a //gox:http directive is refused with an
// error or gives a route of the same segments, variables in order, each
// once.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/v1/users/{id}", "/", "/a/{b}/c/{d}", "x", "/{a}/{a}", "/a/:b", "/{}", "/{a b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		route, vars, err := parsePath(p)
		if err != nil {
			return
		}
		if strings.Count(route, "/") != strings.Count(p, "/") {
			t.Fatalf("%q → %q: segments changed", p, route)
		}
		seen := map[string]bool{}
		for _, v := range vars {
			if seen[v] || !strings.Contains(route, "/:"+v) {
				t.Fatalf("%q → %q %v: variable %q", p, route, vars, v)
			}
			seen[v] = true
		}
	})
}
