package casbin

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/govaluate"
)

// maxPatterns bounds the compiled patterns one policy set keeps: a pattern
// past it is compiled on every call, as casbin does. Patterns come from the
// policy in practice, so a policy set has as many as it has distinct
// object patterns; the bound only matters for a matcher that passes a
// request value as the pattern.
const maxPatterns = 4096

// The regular expressions casbin's util package turns a pattern into a
// regular expression with (casbin/v2 util/builtin_operators.go): ":id"
// for keyMatch2, "{id}" for keyMatch3 and keyMatch5.
var (
	colonParam = regexp.MustCompile(`:[^/]+`)
	braceParam = regexp.MustCompile(`\{[^/]+\}`)
)

// patternKind says how a pattern becomes a regular expression.
type patternKind uint8

const (
	kindKeyMatch2 patternKind = iota
	kindKeyMatch3
	kindKeyMatch5
	kindRegexMatch
)

// regexpOf is what casbin compiles pattern into for kind, on every call.
func regexpOf(kind patternKind, pattern string) string {
	switch kind {
	case kindKeyMatch2:
		p := strings.ReplaceAll(pattern, "/*", "/.*")
		return "^" + colonParam.ReplaceAllString(p, "$1[^/]+$2") + "$"
	case kindKeyMatch3, kindKeyMatch5:
		p := strings.ReplaceAll(pattern, "/*", "/.*")
		return "^" + braceParam.ReplaceAllString(p, "$1[^/]+$2") + "$"
	}
	return pattern
}

type patternKey struct {
	kind    patternKind
	pattern string
}

type compiled struct {
	re  *regexp.Regexp
	err error
}

// patterns memoizes the regular expressions casbin's keyMatch2, keyMatch3,
// keyMatch5 and regexMatch compile from their pattern argument on every
// call (once per policy line a check reaches). One is made per policy set,
// so the patterns of policies a reload removed go with it.
type patterns struct {
	mu sync.RWMutex
	m  map[patternKey]compiled
}

func newPatterns() *patterns { return &patterns{m: map[patternKey]compiled{}} }

// get returns the compiled regular expression of pattern for kind.
func (ps *patterns) get(kind patternKind, pattern string) (*regexp.Regexp, error) {
	k := patternKey{kind, pattern}
	ps.mu.RLock()
	c, ok := ps.m[k]
	ps.mu.RUnlock()
	if ok {
		return c.re, c.err
	}
	c.re, c.err = regexp.Compile(regexpOf(kind, pattern))
	ps.mu.Lock()
	if len(ps.m) < maxPatterns {
		ps.m[k] = c
	}
	ps.mu.Unlock()
	return c.re, c.err
}

// functions returns the matcher functions gox puts in place of casbin's
// own, by casbin's name: the same results, compiled patterns memoized.
func (ps *patterns) functions() map[string]govaluate.ExpressionFunction {
	match := func(name string, kind patternKind) govaluate.ExpressionFunction {
		return func(args ...any) (any, error) {
			key, pattern, err := twoStrings(name, args)
			if err != nil {
				return false, err
			}
			if kind == kindKeyMatch5 {
				key, _, _ = strings.Cut(key, "?")
			}
			re, err := ps.get(kind, pattern)
			if err != nil {
				// casbin panics here, and Enforce turns the panic into its error
				return false, fmt.Errorf("%s: %w", name, err)
			}
			return re.MatchString(key), nil
		}
	}
	return map[string]govaluate.ExpressionFunction{
		"keyMatch2":  match("keyMatch2", kindKeyMatch2),
		"keyMatch3":  match("keyMatch3", kindKeyMatch3),
		"keyMatch5":  match("keyMatch5", kindKeyMatch5),
		"regexMatch": match("regexMatch", kindRegexMatch),
	}
}

// twoStrings checks the arguments as casbin's wrappers do, with the same
// errors.
func twoStrings(name string, args []any) (string, string, error) {
	if len(args) != 2 {
		return "", "", fmt.Errorf("%s: expected %d arguments, but got %d", name, 2, len(args))
	}
	a, ok1 := args[0].(string)
	b, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return "", "", fmt.Errorf("%s: %w", name, errors.New("argument must be a string"))
	}
	return a, b, nil
}

// builtins are the functions casbin registers on every enforcer. Its
// AddFunction keeps the one registered first, so a function of the same
// name added later is silently ignored: gox renames the calls in the
// matchers instead (see overrideFunctions).
var builtins = func() map[string]bool {
	fm := model.LoadFunctionMap()
	out := map[string]bool{}
	for name := range fm.GetFunctions() {
		out[name] = true
	}
	return out
}()

// renamed is the name a function replacing casbin's builtin name is
// registered under: "keyMatch2" → "goxKeyMatch2".
func renamed(name string) string { return "gox" + strings.ToUpper(name[:1]) + name[1:] }

// overrideFunctions returns the functions to register on an enforcer of m,
// and rewrites m's matchers so that they call them: gox's memoized pattern
// functions, then the functions given with WithFunction, over casbin's.
// A function named as one of casbin's builtins is registered under
// renamed(name), and the matchers' calls of it renamed to match; it is
// registered only when a matcher calls it, since casbin copies every
// registered function into a new map on each check.
func overrideFunctions(m model.Model, ours, user map[string]govaluate.ExpressionFunction) map[string]govaluate.ExpressionFunction {
	fns := make(map[string]govaluate.ExpressionFunction, len(ours)+len(user))
	for name, fn := range ours {
		fns[name] = fn
	}
	for name, fn := range user {
		fns[name] = fn
	}
	rename := map[string]string{}
	for name := range fns {
		if builtins[name] {
			rename[name] = renamed(name)
		}
	}
	called := map[string]bool{}
	for _, a := range m["m"] {
		a.Value = renameCalls(a.Value, rename, called)
	}
	out := make(map[string]govaluate.ExpressionFunction, len(fns))
	for name, fn := range fns {
		switch {
		case !builtins[name]:
			out[name] = fn
		case called[name]:
			out[renamed(name)] = fn
		}
	}
	return out
}

// renameCalls renames the function calls of expr that rename names: an
// identifier followed by "(", outside string literals and not after a ".".
// It records in called the names it renamed.
func renameCalls(expr string, rename map[string]string, called map[string]bool) string {
	if len(rename) == 0 {
		return expr
	}
	var b strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(expr))
			b.WriteString(expr[i:j])
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(expr) && isIdentPart(expr[j]) {
				j++
			}
			name := expr[i:j]
			k := j
			for k < len(expr) && (expr[k] == ' ' || expr[k] == '\t') {
				k++
			}
			if to, ok := rename[name]; ok && k < len(expr) && expr[k] == '(' && (i == 0 || expr[i-1] != '.') {
				called[name] = true
				name = to
			}
			b.WriteString(name)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
