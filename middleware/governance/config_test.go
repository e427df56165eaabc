package governance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/middleware/governance"
)

type service struct {
	Governance governance.Config `yaml:"governance"`
}

func (s *service) Validate() error {
	if err := s.Governance.Validate(); err != nil {
		return &config.KeyError{Key: "governance", Msg: err.Error()}
	}
	return nil
}

func load(t *testing.T, yaml string) (governance.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := service{Governance: governance.DefaultConfig()}
	err := config.Load(&s, config.WithFile(path), config.WithNoEnv())
	return s.Governance, err
}

// The policy as a service's config.yaml holds it: defaults kept where the
// file is silent, and a mistake named by its key and line.
func TestPolicyFromYAML(t *testing.T) {
	c, err := load(t, `
governance:
  shedding: {cpu_threshold: 0.9}
  trusted_proxies: [10.0.0.0/8]
  rules:
    - prefix: ["GET /v1/"]
      rate_limit: {limit: 100, per: 1s, burst: 20, key: ip}
    - exact: ["/pay.v1.Payments/Capture"]
      priority: critical
      max_in_flight: 10
      timeout: 2s
`)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Shedding.Enabled || c.Shedding.CPUThreshold != 0.9 || c.Shedding.Window != 5*time.Second || len(c.Rules) != 2 ||
		c.Rules[0].RateLimit.Limit != 100 || c.Rules[0].RateLimit.Key != "ip" || c.Rules[1].Timeout != 2*time.Second {
		t.Fatalf("loaded %+v", c)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"governance:\n  rules:\n    - glob: [\"GET /*\"]\n", `key "governance.rules[0].glob": unknown key; known keys here: exact,`},
		{"governance:\n  rules:\n    - exact: [a]\n      rate_limit: {limit: 0}\n", "rules[0].rate_limit.limit must be positive"},
		{"governance:\n  rules:\n    - exact: [a]\n      rate_limit: {limit: 5, key: cookie}\n", `rules[0].rate_limit.key "cookie"`},
		{"governance:\n  rules:\n    - exact: [a]\n      rate_limit: {limit: 5, burst: -1}\n", "rules[0].rate_limit.burst must be at least 1"},
		{"governance:\n  shedding: {window: soon}\n", "governance.shedding.window"},
	} {
		if _, err := load(t, bad.yaml); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v; want an error containing %q", bad.yaml, err, bad.want)
		}
	}
}
