package casbin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2/util"
	"github.com/casbin/govaluate"
)

// stock calls casbin's own function, a panic (a pattern that is no
// regular expression) turned into an error as Enforce does.
func stock(fn govaluate.ExpressionFunction, args ...any) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = false, fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(args...)
}

// gox's keyMatch2, keyMatch3, keyMatch5 and regexMatch answer what
// casbin's do, on the same table, called twice (compiled, then memoized).
func TestPatternsAsCasbin(t *testing.T) {
	keys := []string{
		"", "/", "/v1", "/v1/", "/v1/users", "/v1/users/", "/v1/users/42", "/v1/users/42/", "/v1/users/42/roles",
		"/v1/users/a.b", "/v1/users/a+b", "/v1/users/(x)", "/v1/users/:id", "/v1/users/{id}", "/v1/users/*",
		"/v1/users/42?x=1", "/v1/users?x=1", "/v1/orders/7", "/user.v1.User/Get", "/user.v1.User/List",
		"/v1/users/ünï", "/v1x/users/42", "v1/users/42", "/v1/users//42", "/a/b/c/d", "/foo", "/foobar",
	}
	pats := []string{
		"", "/", "*", "/*", "/v1/*", "/v1/users/*", "/v1/users/:id", "/v1/users/:id/*", "/v1/users/:id/roles",
		"/:a/:b", "/v1/:x:y", "/v1/users/{id}", "/v1/users/{id}/*", "/{a}/{b}", "/v1/users/a.b", "/v1/users/a+b",
		"/user.v1.User/*", "/user.v1.User/Get", "/v1/users/(", "/v1/users/[", "/v1/(users|orders)/:id",
		"^/v1/.*$", "/v1/users/\\d+", "/foo*", "/foo/*/bar", "/v1/users/:id?", "/v1/users/*/", "/v1/users/ünï",
		"/v1/{", "/v1/:", "/v1/users/{id", "/a/*/c/*",
	}
	ours := newPatterns().functions()
	casbins := map[string]govaluate.ExpressionFunction{
		"keyMatch2": util.KeyMatch2Func, "keyMatch3": util.KeyMatch3Func,
		"keyMatch5": util.KeyMatch5Func, "regexMatch": util.RegexMatchFunc,
	}
	for name, want := range casbins {
		for range 2 {
			for _, k := range keys {
				for _, p := range pats {
					w, werr := stock(want, k, p)
					g, gerr := ours[name](k, p)
					if w != g || (werr != nil) != (gerr != nil) {
						t.Errorf("%s(%q, %q): gox %v, %v; casbin %v, %v", name, k, p, g, gerr, w, werr)
					}
				}
			}
		}
		// wrong arguments: the same refusals
		for _, args := range [][]any{{"/a"}, {"/a", "/b", "/c"}, {"/a", 1}, {nil, "/a"}} {
			w, werr := stock(want, args...)
			g, gerr := ours[name](args...)
			if werr == nil || gerr == nil || werr.Error() != gerr.Error() || w != g {
				t.Errorf("%s%v: gox %v, %v; casbin %v, %v", name, args, g, gerr, w, werr)
			}
		}
	}
}

// The compiled patterns kept are bounded: past maxPatterns a pattern is
// compiled on each call and still answers right.
func TestPatternsBounded(t *testing.T) {
	ps := newPatterns()
	match := ps.functions()["keyMatch2"]
	for i := range maxPatterns + 100 {
		p := fmt.Sprintf("/v1/%d/:id", i)
		if ok, err := match(fmt.Sprintf("/v1/%d/x", i), p); ok != true || err != nil {
			t.Fatalf("%s: %v, %v", p, ok, err)
		}
	}
	if n := len(ps.m); n != maxPatterns {
		t.Fatalf("%d patterns kept, want the bound %d", n, maxPatterns)
	}
}

func TestRenameCalls(t *testing.T) {
	rename := map[string]string{"keyMatch2": "goxKeyMatch2", "regexMatch": "goxRegexMatch"}
	called := map[string]bool{}
	for _, c := range []struct{ in, want string }{
		{`g(r_sub, p_sub) && keyMatch2(r_obj, p_obj)`, `g(r_sub, p_sub) && goxKeyMatch2(r_obj, p_obj)`},
		{`keyMatch2 (r_obj, p_obj)||regexMatch(r_act,"^GET$")`, `goxKeyMatch2 (r_obj, p_obj)||goxRegexMatch(r_act,"^GET$")`},
		{`r_obj == "keyMatch2(x)" && keyMatch2(r_obj, 'keyMatch2(')`, `r_obj == "keyMatch2(x)" && goxKeyMatch2(r_obj, 'keyMatch2(')`},
		{`r_obj == "a\"keyMatch2(" && keyMatch2(r_obj, p_obj)`, `r_obj == "a\"keyMatch2(" && goxKeyMatch2(r_obj, p_obj)`},
		{`keyMatch2x(r_obj, p_obj) && xkeyMatch2(r_obj) && r_sub.keyMatch2(1) && keyMatch2 == 1`, `keyMatch2x(r_obj, p_obj) && xkeyMatch2(r_obj) && r_sub.keyMatch2(1) && keyMatch2 == 1`},
		{`keyMatch3(r_obj, p_obj)`, `keyMatch3(r_obj, p_obj)`},
		{`"unterminated keyMatch2(`, `"unterminated keyMatch2(`},
	} {
		if got := renameCalls(c.in, rename, called); got != c.want {
			t.Errorf("renameCalls(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	if !called["keyMatch2"] || !called["regexMatch"] || len(called) != 2 {
		t.Errorf("called %v", called)
	}
}

// The decision cache keeps at most its bound, dropping the least recently
// used first.
func TestDecisionsLRU(t *testing.T) {
	d := newDecisions(2)
	a, b, c := decisionKey{"alice", "/a", "GET"}, decisionKey{"bob", "/b", "GET"}, decisionKey{"carol", "/c", "GET"}
	d.put(a, true)
	d.put(b, false)
	if ok, hit := d.get(a); !ok || !hit { // a is now the most recent
		t.Fatalf("a: %v %v", ok, hit)
	}
	d.put(c, true) // evicts b
	if _, hit := d.get(b); hit {
		t.Fatal("b should have been evicted")
	}
	for _, k := range []decisionKey{a, c} {
		if _, hit := d.get(k); !hit {
			t.Fatalf("%v evicted", k)
		}
	}
	d.put(c, false) // an update moves nothing out
	if ok, _ := d.get(c); ok || d.len() != 2 {
		t.Fatalf("update: %v, len %d", ok, d.len())
	}
	long := decisionKey{"alice", "/" + string(make([]byte, maxDecisionKey)), "GET"}
	d.put(long, true)
	if _, hit := d.get(long); hit {
		t.Fatal("a key over maxDecisionKey was kept")
	}
}

// gox's pattern functions answer what casbin's do on any key and pattern.
func FuzzPatternsAsCasbin(f *testing.F) {
	for _, s := range [][2]string{{"/v1/users/42", "/v1/users/:id"}, {"/v1/users/42", "/v1/users/*"}, {"/a/b", "/{x}/*"}, {"/a?x", "/a"}, {"/v1/(", "/v1/("}} {
		f.Add(s[0], s[1])
	}
	ours := newPatterns().functions()
	casbins := map[string]govaluate.ExpressionFunction{
		"keyMatch2": util.KeyMatch2Func, "keyMatch3": util.KeyMatch3Func,
		"keyMatch5": util.KeyMatch5Func, "regexMatch": util.RegexMatchFunc,
	}
	f.Fuzz(func(t *testing.T, key, pattern string) {
		for name, want := range casbins {
			w, werr := stock(want, key, pattern)
			g, gerr := ours[name](key, pattern)
			if w != g || (werr != nil) != (gerr != nil) {
				t.Errorf("%s(%q, %q): gox %v, %v; casbin %v, %v", name, key, pattern, g, gerr, w, werr)
			}
		}
	})
}

// Renaming the calls in a matcher changes nothing but those names.
func FuzzRenameCalls(f *testing.F) {
	for _, s := range []string{`g(r_sub, p_sub) && keyMatch2(r_obj, p_obj)`, `r_obj == "keyMatch2(" || keyMatch2 (r_obj,'x')`, "`", `"\`} {
		f.Add(s)
	}
	rename := map[string]string{"keyMatch2": "goxKeyMatch2"}
	f.Fuzz(func(t *testing.T, expr string) {
		if strings.Contains(expr, "goxKeyMatch2") {
			return
		}
		got := renameCalls(expr, rename, map[string]bool{})
		if back := strings.ReplaceAll(got, "goxKeyMatch2", "keyMatch2"); back != expr {
			t.Fatalf("renameCalls(%q) = %q", expr, got)
		}
	})
}
