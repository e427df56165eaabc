package casbin

import (
	"os"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2/model"
)

// A model file of any content is refused with an error naming the file, or
// loaded; never a panic.
func FuzzModel(f *testing.F) {
	b, err := os.ReadFile("testdata/rbac_model.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(DefaultModel)
	f.Add("[request_definition]\nr = sub, \\\n obj\n[matchers]\nm = r.sub == p.sub # c\n")
	f.Add("[role_definition]\ng = _, _, (_, _)\n[policy_effect]\ne = priority(p.eft) || deny\n")
	f.Add("[matchers\nm = keyMatch2(r.obj, p.obj\n")
	f.Fuzz(func(t *testing.T, text string) {
		mf, err := parseModel("model.conf", text, nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model.conf") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		if mf.model == nil {
			t.Fatal("no error and no model")
		}
	})
}

// A policy file of any content is refused with an error naming the file,
// or loads rules that each fit the model.
func FuzzPolicy(f *testing.F) {
	b, err := os.ReadFile("testdata/policy.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("p, admin, \"/v1/a,b\", GET\n")
	f.Add("g, alice\np, , , \n")
	f.Add("p2, x, y, z\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := model.NewModelFromString(DefaultModel)
		if err != nil {
			t.Fatal(err)
		}
		err = (&filePolicy{name: "policy.csv", data: []byte(text)}).LoadPolicy(m)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policy.csv") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		for _, r := range m["p"]["p"].Policy {
			if len(r) != 3 {
				t.Fatalf("p rule %q loaded with %d fields", r, len(r))
			}
		}
	})
}
