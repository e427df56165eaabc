package casbin

import (
	"bufio"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/casbin/casbin/v2/effector"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"
	"github.com/casbin/govaluate"
)

// DefaultModel is the model used when Config.Model is empty: role-based
// access in the rbac_model.conf style. A subject is allowed when it, or a
// role it holds through g lines, has a p line whose object pattern matches
// the call's object (keyMatch2: "/v1/users/:id" and "/v1/users/*" match
// "/v1/users/:id" and "/v1/users/42") and whose action is the call's action
// or "*".
const DefaultModel = `[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && keyMatch2(r.obj, p.obj) && (r.act == p.act || p.act == "*")
`

// sections are the model sections casbin reads, by the letter their keys start with.
var sections = map[string]string{
	"request_definition": "r",
	"policy_definition":  "p",
	"role_definition":    "g",
	"policy_effect":      "e",
	"matchers":           "m",
}

var required = []string{"request_definition", "policy_definition", "policy_effect", "matchers"}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// modelFile is a model file checked line by line: casbin's own parser
// ignores unknown sections and keys, and reports a malformed line with a
// number one past it, so gox parses the file first and names the line.
type modelFile struct {
	name  string
	lines map[string]int    // "m", "r2" → the line the key is defined on
	raw   map[string]string // the key's value as the file spells it
	model model.Model
}

// parseModel checks the text of the model file name and loads it. Every
// error names the file and, where one line is at fault, the line:
// "rbac_model.conf:14: matchers m: ...".
func parseModel(name, text string, fns map[string]govaluate.ExpressionFunction) (*modelFile, error) {
	mf := &modelFile{name: name, lines: map[string]int{}, raw: map[string]string{}}
	defs, err := mf.scan(text)
	if err != nil {
		return nil, err
	}
	for _, s := range required {
		if _, ok := defs[sections[s]]; !ok {
			return nil, fmt.Errorf("%s: no [%s] section: a model needs [%s]", name, s, strings.Join(required, "], ["))
		}
	}
	if err := mf.checkKeys(defs); err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	mf.model = m
	if err := mf.checkEffects(); err != nil {
		return nil, err
	}
	return mf, mf.checkMatchers(fns)
}

// scan reads the file as casbin's config parser does (# and ; comments,
// [section] headers, key = value, a trailing \ continues a line) and returns
// the value of every key by section letter.
func (mf *modelFile) scan(text string) (map[string]map[string]string, error) {
	defs := map[string]map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	section, pending, start := "", "", 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: not UTF-8 text", mf.name, n)
		}
		if pending == "" {
			start = n
		}
		switch {
		case pending == "" && (line == "" || line[0] == '#' || line[0] == ';'):
			continue
		case pending == "" && strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: section header %q has no closing ]", mf.name, n, line)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if _, ok := sections[name]; !ok {
				return nil, fmt.Errorf("%s:%d: unknown section [%s]; a model has [%s] and [role_definition]", mf.name, n, name, strings.Join(required, "], ["))
			}
			section = name
			continue
		}
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			pending += strings.TrimSpace(rest) + " "
			continue
		}
		if err := mf.define(defs, section, pending+line, start); err != nil {
			return nil, err
		}
		pending = ""
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", mf.name, err)
	}
	if pending != "" {
		return nil, fmt.Errorf("%s:%d: the file ends inside a line continued with \\", mf.name, start)
	}
	return defs, nil
}

// define records one "key = value" line of section.
func (mf *modelFile) define(defs map[string]map[string]string, section, line string, n int) error {
	key, value, ok := strings.Cut(line, "=")
	if !ok {
		return fmt.Errorf("%s:%d: %q is neither a [section] nor key = value", mf.name, n, line)
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if section == "" {
		return fmt.Errorf("%s:%d: %s is defined before any [section]", mf.name, n, key)
	}
	sec := sections[section]
	if suffix, ok := strings.CutPrefix(key, sec); !ok || (suffix != "" && !isIndex(suffix)) {
		return fmt.Errorf("%s:%d: key %q in [%s]: keys there are %s or %s2, %s3 and on", mf.name, n, key, section, sec, sec, sec)
	}
	if value == "" {
		return fmt.Errorf("%s:%d: %s has no value", mf.name, n, key)
	}
	if prev, dup := mf.lines[key]; dup {
		return fmt.Errorf("%s:%d: %s is already defined on line %d", mf.name, n, key, prev)
	}
	if defs[sec] == nil {
		defs[sec] = map[string]string{}
	}
	defs[sec][key] = value
	mf.lines[key], mf.raw[key] = n, value
	return nil
}

func isIndex(s string) bool {
	i, err := strconv.Atoi(s)
	return err == nil && i >= 2 && strconv.Itoa(i) == s
}

// checkKeys checks what each definition holds, and that the keys of a
// section follow on from one another: casbin reads r, r2, r3, ... and stops
// at the first one missing, so r3 without r2 would be silently ignored.
func (mf *modelFile) checkKeys(defs map[string]map[string]string) error {
	for _, sec := range slices.Sorted(maps.Keys(defs)) {
		for _, key := range slices.Sorted(maps.Keys(defs[sec])) {
			if key != sec {
				i, _ := strconv.Atoi(key[1:])
				prev := sec
				if i > 2 {
					prev = sec + strconv.Itoa(i-1)
				}
				if _, ok := defs[sec][prev]; !ok {
					return fmt.Errorf("%s:%d: %s without %s: casbin would ignore it", mf.name, mf.lines[key], key, prev)
				}
			}
			if err := mf.checkTokens(sec, key, defs[sec][key]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTokens checks the field list of a request, policy or role definition.
func (mf *modelFile) checkTokens(sec, key, value string) error {
	if sec != "r" && sec != "p" && sec != "g" {
		return nil
	}
	if sec == "g" {
		value, _, _ = strings.Cut(value, "(") // g = _, _, (_, _): conditional role arguments
	}
	seen := map[string]bool{}
	for tok := range strings.SplitSeq(value, ",") {
		tok = strings.TrimSpace(tok)
		switch {
		case tok == "" && sec == "g":
			continue
		case sec == "g" && tok != "_":
			return fmt.Errorf("%s:%d: %s = %s: a role definition lists _ placeholders, as in g = _, _", mf.name, mf.lines[key], key, value)
		case sec != "g" && !identifier.MatchString(tok):
			return fmt.Errorf("%s:%d: %s = %s: %q is not a field name", mf.name, mf.lines[key], key, value, tok)
		case sec != "g" && seen[tok]:
			return fmt.Errorf("%s:%d: %s = %s: field %s twice", mf.name, mf.lines[key], key, value, tok)
		}
		seen[tok] = true
	}
	if sec == "g" && len(seen) == 0 || sec == "g" && strings.Count(value, "_") < 2 {
		return fmt.Errorf("%s:%d: %s = %s: a role definition has at least two fields (g = _, _)", mf.name, mf.lines[key], key, value)
	}
	return nil
}

// checkEffects asks casbin's effector whether it knows each effect; casbin
// itself only finds out on the first check.
func (mf *modelFile) checkEffects() error {
	eft := effector.NewDefaultEffector()
	for key, a := range mf.model["e"] {
		if _, _, err := eft.MergeEffects(a.Value, []effector.Effect{effector.Allow}, []float64{1}, 0, 1); err != nil {
			return fmt.Errorf("%s:%d: policy effect %s = %s: %v", mf.name, mf.lines[key], key, mf.raw[key], err)
		}
	}
	return nil
}

// checkMatchers compiles every matcher with the functions a check will
// have, and checks that each r.x and p.x it reads is a field of the request
// and policy definitions: casbin compiles a matcher on the first check and
// fails every check after that.
func (mf *modelFile) checkMatchers(fns map[string]govaluate.ExpressionFunction) error {
	fm := model.LoadFunctionMap()
	all := fm.GetFunctions()
	maps.Copy(all, fns)
	for key := range mf.model["g"] {
		all[key] = func(...any) (any, error) { return false, nil }
	}
	for key, a := range mf.model["m"] {
		fs := all
		if util.HasEval(a.Value) {
			fs = maps.Clone(all)
			fs["eval"] = func(...any) (any, error) { return false, nil }
		}
		expr, err := compile(a.Value, fs)
		if err != nil {
			return fmt.Errorf("%s:%d: matchers %s: %v", mf.name, mf.lines[key], key, err)
		}
		for _, v := range expr.Vars() {
			if err := mf.known(key, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// compile compiles a matcher. govaluate panics on some malformed input (a
// fuzz test found one): that is a refusal too, never a crash at start.
func compile(expr string, fs map[string]govaluate.ExpressionFunction) (e *govaluate.EvaluableExpression, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("the expression does not parse (%v)", r)
		}
	}()
	return govaluate.NewEvaluableExpressionWithFunctions(expr, fs)
}

// known checks that the matcher variable v ("r_sub", "p_obj", "r_sub.Age")
// is a field of a request or policy definition.
func (mf *modelFile) known(key, v string) error {
	v, _, _ = strings.Cut(v, ".")
	prefix, field, ok := strings.Cut(v, "_")
	sec := prefix[:min(1, len(prefix))]
	if !ok || (sec != "r" && sec != "p") {
		return fmt.Errorf("%s:%d: matchers %s: %q is neither r.<field> nor p.<field>", mf.name, mf.lines[key], key, v)
	}
	a, found := mf.model[sec][prefix]
	if !found {
		return fmt.Errorf("%s:%d: matchers %s: %s.%s: the model defines no %s", mf.name, mf.lines[key], key, prefix, field, prefix)
	}
	if !slices.Contains(a.Tokens, v) {
		return fmt.Errorf("%s:%d: matchers %s: %s.%s is not a field of %s = %s", mf.name, mf.lines[key], key, prefix, field, prefix, a.Value)
	}
	return nil
}
