package casbin_test

import (
	"strings"
	"testing"

	"github.com/goxkit/gox/contrib/authz/casbin"
)

// start runs New over a model and a policy written to files, and returns
// its error.
func start(t *testing.T, model, policy string) error {
	t.Helper()
	dir := t.TempDir()
	c := casbin.DefaultConfig()
	c.Model = file(t, dir, "rbac_model.conf", model)
	c.Policy = file(t, dir, "policy.csv", policy)
	c.Watch = false
	z, err := casbin.New(c)
	if err == nil {
		_ = z.Close()
	}
	return err
}

// A model file with a mistake refuses the start with the file and the
// line at fault, including mistakes casbin itself lets through to fail
// (or silently mean something else) at the first check.
func TestModelSyntaxErrors(t *testing.T) {
	good := testdata(t, "rbac_model.conf")
	policy := testdata(t, "policy.csv")
	edit := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("testdata model has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, c := range []struct{ name, model, want string }{
		{"no equals sign", edit("r = sub, obj, act", "r sub, obj, act"), `rbac_model.conf:3: "r sub, obj, act" is neither a [section] nor key = value`},
		{"unclosed section", edit("[matchers]", "[matchers"), `rbac_model.conf:14: section header "[matchers" has no closing ]`},
		{"misspelt section", edit("[policy_effect]", "[policy_efect]"), "rbac_model.conf:11: unknown section [policy_efect]"},
		{"key of another section", edit("e = some", "m = some"), `rbac_model.conf:12: key "m" in [policy_effect]: keys there are e or e2, e3 and on`},
		{"no value", edit(`m = g(r.sub, p.sub) && keyMatch2(r.obj, p.obj) && (r.act == p.act || p.act == "*")`, "m ="), "rbac_model.conf:15: m has no value"},
		{"missing section", edit("[policy_effect]\ne = some(where (p.eft == allow))", ""), "rbac_model.conf: no [policy_effect] section"},
		{"defined twice", edit("p = sub, obj, act", "p = sub, obj, act\np = sub, obj"), "rbac_model.conf:7: p is already defined on line 6"},
		{"bad field name", edit("r = sub, obj, act", "r = sub, obj-id, act"), `rbac_model.conf:3: r = sub, obj-id, act: "obj-id" is not a field name`},
		{"unknown effect", edit("some(where (p.eft == allow))", "any(where (p.eft == allow))"), "rbac_model.conf:12: policy effect e = any(where (p.eft == allow)): unsupported effect"},
		{"unbalanced matcher", edit("(r.act == p.act ||", "(r.act == p.act) ||"), "rbac_model.conf:15: matchers m: "},
		{"unknown function", edit("keyMatch2(", "keyMatch9("), "rbac_model.conf:15: matchers m: "},
		{"unknown request field", edit("r.act == p.act", "r.action == p.act"), "rbac_model.conf:15: matchers m: r.action is not a field of r = sub, obj, act"},
		{"r2 without a definition", edit("r.act == p.act", "r2.act == p.act"), "rbac_model.conf:15: matchers m: r2.act: the model defines no r2"},
		{"continued at the end", good + "m2 = r.sub == p.sub && \\", "rbac_model.conf:16: the file ends inside a line continued with \\"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := start(t, c.model, policy)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant one containing %q", err, c.want)
			}
		})
	}
}

// A policy line that does not fit the model refuses the start with the
// file and the line.
func TestPolicyLineErrors(t *testing.T) {
	model := testdata(t, "rbac_model.conf")
	for _, c := range []struct{ name, line, want string }{
		{"too few fields", "p, admin, /v1/users/*", "policy.csv:3: p rule has 2 fields, the model's p = sub, obj, act has 3"},
		{"too many fields", "p, admin, /v1/users/*, GET, allow", "policy.csv:3: p rule has 4 fields"},
		{"unknown type", "p2, admin, /v1, GET", `policy.csv:3: policy type "p2" is not defined by the model (it defines p, g)`},
		{"role with one field", "g, alice", "policy.csv:3: g rule has 1 fields, the model's g = _, _ has 2"},
		{"empty field", "p, admin, , GET", "policy.csv:3: p rule: field 2 is empty"},
		{"bad quoting", `p, admin, "/v1, GET`, "policy.csv:3: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := start(t, model, "# comment\np, admin, /v1/users/*, *\n"+c.line+"\n")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant one containing %q", err, c.want)
			}
		})
	}
}

// The config is checked before any file is read, naming the key.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*casbin.Config)
		want string
	}{
		{"no policy", func(c *casbin.Config) {}, "authz.policy: empty, and no adapter given"},
		{"object", func(c *casbin.Config) { c.Policy = "p.csv"; c.Object = "url" }, `authz.object: "url"`},
		{"subject", func(c *casbin.Config) { c.Policy = "p.csv"; c.Subject = "" }, "authz.subject: empty"},
		{"regex", func(c *casbin.Config) { c.Policy = "p.csv"; c.Public.Regex = "(" }, "authz.public.regex:"},
		{"missing model", func(c *casbin.Config) { c.Policy = "p.csv"; c.Model = "nowhere.conf" }, "authz.model: open nowhere.conf"},
		{"missing policy", func(c *casbin.Config) { c.Policy = "nowhere.csv" }, "authz.policy: open nowhere.csv"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := casbin.DefaultConfig()
			c.edit(&cfg)
			z, err := casbin.New(cfg)
			if err == nil {
				_ = z.Close()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// The default model needs no file.
func TestDefaultModel(t *testing.T) {
	c := casbin.DefaultConfig()
	c.Policy = file(t, t.TempDir(), "policy.csv", testdata(t, "policy.csv"))
	z, err := casbin.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if ok, err := z.Enforcer().Enforce("alice", "/v1/users/:id", "DELETE"); !ok || err != nil {
		t.Fatalf("alice may delete: %v %v", ok, err)
	}
}
