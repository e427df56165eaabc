package casbin

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
)

// errReadOnly is what saving through a policy file answers: the file is
// the source of truth, edited by whoever deploys it.
var errReadOnly = errors.New("casbin: the policy file is read-only to gox; edit the file")

// filePolicy is a persist.Adapter over the bytes of one read of a CSV
// policy file ("p, admin, /v1/users/:id, GET", "g, alice, admin"). Loading
// checks each line against the model and names the file and line of the
// first that does not fit.
type filePolicy struct {
	name string
	data []byte
}

var _ persist.Adapter = (*filePolicy)(nil)

// LoadPolicy implements persist.Adapter.
func (f *filePolicy) LoadPolicy(m model.Model) error {
	sc := bufio.NewScanner(bytes.NewReader(f.data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		rule, err := splitRule(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", f.name, n, err)
		}
		if err := fits(m, rule); err != nil {
			return fmt.Errorf("%s:%d: %v", f.name, n, err)
		}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return fmt.Errorf("%s:%d: %v", f.name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	return nil
}

// splitRule splits a policy line as casbin's file adapter does: CSV, with
// the spaces after each comma dropped.
func splitRule(line string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.TrimLeadingSpace = true
	rule, err := r.Read()
	if err != nil {
		return nil, err
	}
	for i := range rule {
		rule[i] = strings.TrimSpace(rule[i])
	}
	return rule, nil
}

// fits checks that rule (its policy type first) is of a type the model
// defines and has that type's number of fields.
func fits(m model.Model, rule []string) error {
	ptype := rule[0]
	sec := ptype[:min(1, len(ptype))]
	a, ok := m[sec][ptype]
	if !ok || (sec != "p" && sec != "g") {
		return fmt.Errorf("policy type %q is not defined by the model (it defines %s)", ptype, strings.Join(types(m), ", "))
	}
	fields, want := len(rule)-1, len(a.Tokens)
	if sec == "g" {
		// every _ is a field casbin needs, the link conditions' "(_, _)"
		// too (its model copies do not keep a.ParamsTokens)
		want = strings.Count(a.Value, "_")
	}
	if fields != want {
		return fmt.Errorf("%s rule has %d fields, the model's %s = %s has %d", ptype, fields, ptype, a.Value, want)
	}
	for i, v := range rule[1:] {
		if v == "" {
			return fmt.Errorf("%s rule: field %d is empty", ptype, i+1)
		}
	}
	return nil
}

// types lists the policy types m defines: p, p2, g, ...
func types(m model.Model) []string {
	var out []string
	for _, sec := range []string{"p", "g"} {
		out = append(out, slices.Sorted(maps.Keys(m[sec]))...)
	}
	return out
}

// SavePolicy implements persist.Adapter; the file is not written.
func (f *filePolicy) SavePolicy(model.Model) error { return errReadOnly }

// AddPolicy implements persist.Adapter; the file is not written.
func (f *filePolicy) AddPolicy(string, string, []string) error { return errReadOnly }

// RemovePolicy implements persist.Adapter; the file is not written.
func (f *filePolicy) RemovePolicy(string, string, []string) error { return errReadOnly }

// RemoveFilteredPolicy implements persist.Adapter; the file is not written.
func (f *filePolicy) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}
