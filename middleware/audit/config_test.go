package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/middleware/audit"
)

// A bad config stops the service at start with the key it got wrong.
func TestConfigErrorsNameTheKey(t *testing.T) {
	many := make([]string, audit.MaxResourceFields+1)
	for i := range many {
		many[i] = "f"
	}
	for _, tc := range []struct {
		edit func(*audit.Config)
		want string
	}{
		{func(c *audit.Config) { c.Operations = []string{"GET /a", " "} }, "operations[1]"},
		{func(c *audit.Config) { c.Prefixes = []string{""} }, "prefixes[0]"},
		{func(c *audit.Config) { c.ResourceFields = many }, "resource_fields lists 33"},
		{func(c *audit.Config) { c.ResourceFields = []string{"id", "order..id"} }, `resource_fields[1] "order..id"`},
		{func(c *audit.Config) { c.ResourceFields = []string{"a.b.c.d.e.f.g.h.i"} }, "resource_fields[0]"},
		{func(c *audit.Config) { c.Redact = []string{"_-"} }, "redact[0]"},
		{func(c *audit.Config) { c.MaxRequestBytes = 2 << 20 }, "max_request_bytes"},
		{func(c *audit.Config) { c.WriteTimeout = -time.Second }, "write_timeout"},
		{func(c *audit.Config) { c.Anonymous = strings.Repeat("a", 300) }, "anonymous"},
	} {
		c := audit.DefaultConfig()
		tc.edit(&c)
		_, err := audit.New(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: %v; want an error naming %q", err, tc.want)
		}
	}
	if _, err := audit.New(audit.Config{}); err != nil {
		t.Errorf("the zero Config: %v", err)
	}
}
